/** What the Chromium test's page is served: the seed's `os`, and tools for callbacks, errors and promises. */
import os from 'node:os';

export function scenarioModules() {
  return {
    os: () => os,
    tools: () => ({
      callBack: (fn: (x: number) => Promise<number>, x: number) => fn(x),
      makeAdder: (n: number) => (x: number) => x + n,
      fail(what: string) {
        throw Object.assign(new RangeError(what), { code: 'E_TOOLS' });
      },
      later: (value: unknown, ms: number, reject?: string) =>
        new Promise((resolve, fail) => setTimeout(() => (reject ? fail(new Error(reject)) : resolve(value)), ms)),
      awaitIt: async (promise: Promise<unknown>) => `got ${await promise}`,
      reverse: (bytes: Uint8Array) => Uint8Array.from(bytes).reverse(),
    }),
  };
}
