// Draws the ratios against their targets as an SVG with Vega, headless (no browser, no network).
import * as vega from 'vega';

export async function ratioChartSvg(targets) {
  const rows = targets
    .filter((t) => t.measured !== undefined && (t.unit ?? 'ratio') === 'ratio' && t.measured > 0)
    .map((t) => ({ label: t.label, measured: t.measured, limit: t.limit, status: t.status }));
  const spec = {
    $schema: 'https://vega.github.io/schema/vega/v5.json',
    width: 520,
    height: { signal: `${rows.length} * 26` },
    padding: 8,
    title: { text: 'weakwire / peer (log scale; bar = measured, tick = target limit)', fontSize: 13 },
    data: [{ name: 'rows', values: rows }],
    scales: [
      { name: 'y', type: 'band', domain: { data: 'rows', field: 'label' }, range: 'height', padding: 0.25 },
      {
        name: 'x',
        type: 'log',
        domain: [0.01, 100],
        range: 'width',
        clamp: true,
      },
      { name: 'color', type: 'ordinal', domain: ['met', 'missed'], range: ['#2a9d8f', '#e76f51'] },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: 'ours / peer', values: [0.01, 0.1, 0.5, 1, 2, 10, 100], format: '~g', grid: true },
      { orient: 'left', scale: 'y', labelLimit: 420 },
    ],
    legends: [{ fill: 'color', title: 'target', orient: 'right' }],
    marks: [
      {
        type: 'rect',
        from: { data: 'rows' },
        encode: {
          enter: {
            y: { scale: 'y', field: 'label' },
            height: { scale: 'y', band: 1 },
            x: { scale: 'x', value: 0.01 },
            x2: { scale: 'x', field: 'measured' },
            fill: { scale: 'color', field: 'status' },
          },
        },
      },
      {
        type: 'rect',
        from: { data: 'rows' },
        encode: {
          enter: {
            y: { scale: 'y', field: 'label', offset: -3 },
            height: { scale: 'y', band: 1, offset: 6 },
            x: { scale: 'x', field: 'limit' },
            width: { value: 3 },
            fill: { value: '#222' },
          },
        },
      },
      {
        type: 'text',
        from: { data: 'rows' },
        encode: {
          enter: {
            y: { scale: 'y', field: 'label', band: 0.5 },
            x: { scale: 'x', signal: 'max(datum.measured, datum.limit)', offset: 7 },
            baseline: { value: 'middle' },
            text: { signal: "format(datum.measured, '.3~g') + '×'" },
            fontSize: { value: 11 },
          },
        },
      },
    ],
  };
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  return view.toSVG();
}
