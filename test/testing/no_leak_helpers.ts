/** Shared by the leak-test specifications (no_leak.test.ts, no_leak.slow.test.ts). */
import { LeakError, type LeakReport } from '../../src/ts/testing';

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
