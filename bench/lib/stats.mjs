// Small robust statistics: medians and spreads of repeated measurements.

export function quantile(values, q) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export const median = (values) => quantile(values, 0.5);

/** Relative spread of repeated measurements: half the interquartile range over the median. */
export function relativeNoise(values) {
  if (values.length < 2) return 0;
  const m = median(values);
  if (!Number.isFinite(m) || m === 0) return 0;
  return (quantile(values, 0.75) - quantile(values, 0.25)) / 2 / Math.abs(m);
}

export function round(value, digits = 3) {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
