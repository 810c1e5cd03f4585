import { lowerEnvelope, mannKendall, theilSen, thirdsGrowth } from '../../src/ts/testing/trend';

describe('trend statistics', () => {
  test('Theil-Sen ignores one outlier', () => {
    expect(theilSen([0, 1, 2, 3, 4], [0, 10, 20, 1000, 40])).toBe(10);
  });

  test('the lower envelope keeps the floor from each reading on', () => {
    expect(lowerEnvelope([5, 3, 9, 4, 8])).toEqual([3, 3, 4, 4, 8]);
  });

  test('Mann-Kendall: a steady rise over 7 samples is significant, noise-level differences are ties', () => {
    expect(mannKendall([0, 1, 2, 3, 4, 5, 6], 0).p).toBeLessThan(0.01);
    expect(mannKendall([0, 1, 2, 3, 4, 5, 6], 10)).toEqual({ s: 0, p: 1 });
  });

  test('Mann-Kendall: one step is not a steady rise, two doublings in 13 samples are', () => {
    expect(mannKendall([0, 0, 0, 100, 100, 100, 100], 10).p).toBeGreaterThan(0.01);
    expect(mannKendall([0, 0, 0, 100, 100, 100, 100, 100, 200, 200, 200, 200, 200], 10).p).toBeLessThan(0.01);
  });

  test('growth is measured between the floors of the first and last thirds', () => {
    expect(thirdsGrowth([10, 0, 5, 7, 30, 20])).toBe(20);
  });
});
