// The README's benchmark tables, drawn by the bench's own report code from its results files.
import { markdown } from '../../bench/lib/report.mjs';
import { scalingTables } from '../../bench/lib/scaling-report.mjs';
import { readResults } from './results.mjs';

export const benchBlocks = {
  /** "Latest run": the comparison and target tables of bench/results.json. */
  bench: () => {
    const results = readResults('bench');
    return markdown(results, results.targets);
  },
  /** The scaling tables of bench/scaling.json. */
  scaling: () => scalingTables(readResults('scaling')),
};
