/**
 * The statistics `expectNoLeak` decides with. Memory readings after a collection are noisy in one
 * direction (garbage a collection left can only add) and move in steps (a hash table doubles, a
 * cache fills once), so the decision combines a robust slope, a rank test for a monotonic trend and
 * a floor on the total growth. Pure functions of the samples.
 * @packageDocumentation
 */

/** Median of pairwise slopes (Theil–Sen): one outlier sample cannot fake or hide a trend. */
export function theilSen(xs: readonly number[], ys: readonly number[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    for (let j = i + 1; j < xs.length; j++) {
      if (xs[j] !== xs[i]) slopes.push((ys[j] - ys[i]) / (xs[j] - xs[i]));
    }
  }
  if (slopes.length === 0) return 0;
  slopes.sort((a, b) => a - b);
  const mid = slopes.length >> 1;
  return slopes.length % 2 === 1 ? slopes[mid] : (slopes[mid - 1] + slopes[mid]) / 2;
}

/**
 * Each reading replaced by the smallest reading from it on. Garbage that survived a collection
 * inflates one reading; a leak raises the floor for good.
 */
export function lowerEnvelope(ys: readonly number[]): number[] {
  const floor = ys.slice();
  for (let i = floor.length - 2; i >= 0; i--) floor[i] = Math.min(floor[i], floor[i + 1]);
  return floor;
}

/** Result of {@link mannKendall}. */
export interface TrendTest {
  /** Pairs that rose minus pairs that fell (pairs within `tie` of each other count as neither). */
  s: number;
  /** One-sided p-value of a rise as large as `s` with no trend. */
  p: number;
}

/** Standard normal upper tail, Abramowitz–Stegun 26.2.17 (error < 7.5e-8). */
function normalTail(z: number): number {
  if (z < 0) return 1 - normalTail(-z);
  const t = 1 / (1 + 0.2316419 * z);
  const poly = t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  return (Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI)) * poly;
}

/**
 * Mann–Kendall test for an upward monotonic trend, with differences up to `tie` treated as ties
 * (the measurement noise) and the normal approximation with continuity correction. Its variance
 * is the no-ties one, which makes the p-value larger (more cautious) when there are ties.
 */
export function mannKendall(ys: readonly number[], tie: number): TrendTest {
  const n = ys.length;
  let s = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = ys[j] - ys[i];
      if (d > tie) s++;
      else if (d < -tie) s--;
    }
  }
  const variance = (n * (n - 1) * (2 * n + 5)) / 18;
  if (variance === 0 || s <= 0) return { s, p: s > 0 ? 0 : 1 };
  return { s, p: normalTail((s - 1) / Math.sqrt(variance)) };
}

/** How much the floor rose from the first third of the readings to the last third. */
export function thirdsGrowth(ys: readonly number[]): number {
  const third = Math.max(1, Math.floor(ys.length / 3));
  return Math.min(...ys.slice(-third)) - Math.min(...ys.slice(0, third));
}
