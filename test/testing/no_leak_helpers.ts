/** Shared by the leak-test specifications (no_leak.test.ts, no_leak.slow.test.ts). */
import { stats } from '../../src/ts';
import { gcUntil, LeakError, type LeakReport } from '../../src/ts/testing';

export async function leakReport(run: Promise<unknown>): Promise<LeakError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof LeakError)) throw new Error(`expected a LeakError, got ${String(error)}`);
  return error;
}

// Destructor callbacks live as long as their target. One created inside a test would keep the
// test's variables (like a `kept` array) alive with it: a cycle through the destructor table that
// no collection can break. So the callbacks here come from module scope.
export const noop = (): void => {};

export function figure(report: LeakReport, metric: string) {
  return report.figures.find((f) => f.metric === metric)!;
}

/**
 * Registers hooks for a describe block of leaking tests: what each test kept must be gone again
 * afterwards, or later test files would see it. (Records other test files left behind may still
 * be there: Jest runs files in one process.)
 */
export function releaseWhatLeakingTestsKept(): void {
  let before = { trackedObjects: 0, mapEntries: 0 };
  beforeEach(() => {
    before = stats();
  });
  afterEach(async () => {
    await gcUntil(
      () => stats().trackedObjects <= before.trackedObjects && stats().mapEntries <= before.mapEntries,
    );
  });
}
