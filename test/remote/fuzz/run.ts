/**
 * Runs the fuzzer over one wire: fast-check generates batches of steps, the hostile peer plays
 * them against a real session, and after each batch the invariants are checked:
 * - the server process is alive (it answered the probe) and the session still open;
 * - no unhandled rejection and no uncaught exception happened (counted on the real process);
 * - no single message kept the server's event loop busy for more than 500 ms (FUZZ_SLOW_MS),
 *   three times running;
 * - every request with a usable seq got exactly one answer per copy sent (sync ones: exactly one
 *   answer, carrying its seq);
 * - no prototype was polluted and the served objects are unchanged;
 * - once the peer gave back what it held and settled what it announced, the session's registries
 *   are back to empty (objects, references, pending promises, pending calls);
 * - and when a batch ends with the peer going away instead, the closed session holds nothing.
 *
 * A failure throws with fast-check's seed and path: FUZZ_SEED=<seed> FUZZ_PATH=<path> replays it,
 * and FUZZ_TRACE=1 adds the batch's traffic to the failure. A failure that takes the whole process
 * down (V8 aborts on some allocation failures, worker or not) leaves the seed on stderr, printed
 * when the run starts, and the batch in progress in `<tmpdir>/weakwire-fuzz-<wire>.txt`.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { batch } from './arbitraries';
import { HostilePeer, type Probe, type Wire } from './peer';
import type { BatchT } from './templates';

export interface FuzzOptions {
  readonly numRuns: number;
  readonly seed?: number;
  readonly path?: string;
}

export interface FuzzReport {
  readonly wire: string;
  /** fast-check runs, each a batch of steps checked as a whole. */
  readonly batches: number;
  /** Messages the batches generated (valid, malformed, duplicates, junk), beyond the peer's own. */
  readonly messages: number;
  readonly closes: number;
  readonly ms: number;
  /** The longest the server spent on one message, and that message. */
  readonly maxHandlerMs: number;
  readonly slowest: string;
  readonly coverage: HostilePeer['coverage'];
}

/** Writes the report to FUZZ_REPORT_DIR (`npm run fuzz` sums them up), if set. */
function record(report: FuzzReport): void {
  const dir = process.env.FUZZ_REPORT_DIR;
  if (dir) writeFileSync(join(dir, `${report.wire.replace(/\W+/g, '-')}.json`), JSON.stringify(report, null, 2));
}

/** The options from the environment: FUZZ_SEED and FUZZ_PATH replay a failure. */
export function fuzzOptions(numRuns: number): FuzzOptions {
  const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
  return { numRuns, seed, path: process.env.FUZZ_PATH };
}

/** FUZZ_SCALE multiplies every wire's default number of batches (`npm run fuzz` sets it). */
export function scaled(base: number): number {
  const scale = Number(process.env.FUZZ_SCALE ?? '1');
  return Math.max(1, Math.round(base * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}

/** How long shrinking a failure may take. */
const SHRINK_BUDGET_MS = 60_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What is wrong with the server side after a batch, as sentences (none: all is well). */
function probeProblems(probe: Probe, expectOpen: boolean): string[] {
  const problems: string[] = [];
  const stats = probe.stats;
  if (expectOpen && probe.closed) problems.push('the session closed during the batch');
  if (!expectOpen && !probe.closed) problems.push('the session did not close when the peer went away');
  if (stats === undefined) {
    problems.push('no session stats');
  } else {
    for (const key of ['objects', 'references', 'pendingPromises', 'pendingCalls'] as const) {
      if (stats[key] !== 0) problems.push(`session ${key} is ${stats[key]}, not 0`);
    }
  }
  if (!expectOpen && probe.serverStats.sessions !== 0) problems.push(`the server still has ${probe.serverStats.sessions} sessions`);
  for (const reason of probe.unhandled) problems.push(`unhandled rejection: ${reason}`);
  for (const error of probe.uncaught) problems.push(`uncaught exception: ${error}`);
  for (const slow of probe.slow) problems.push(`one message kept the loop busy ${slow.ms} ms, three times running: ${slow.message}`);
  if (!probe.unchanged) problems.push('a served object or a prototype changed');
  return problems;
}

async function waitForClose(wire: Wire): Promise<Probe> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = await wire.probe();
    if (probe.closed || Date.now() > deadline) return probe;
    await sleep(5);
  }
}

/** The wire, recording every message both ways into `trace` (cleared per batch). */
function traced(wire: Wire, trace: string[]): Wire {
  const show = (value: unknown): string => {
    try {
      const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
      return (text ?? String(value)).slice(0, 300);
    } catch {
      return String(value);
    }
  };
  return {
    name: wire.name,
    json: wire.json,
    syncRequests: wire.syncRequests,
    junkKinds: wire.junkKinds,
    open: (onMessage) =>
      wire.open((message) => {
        trace.push(`<< ${show(message)}`);
        onMessage(message);
      }),
    send: (message) => {
      const sent = wire.send(message);
      trace.push(`>> ${show(message)}${sent ? '' : ' (not sent: the wire cannot carry it)'}`);
      return sent;
    },
    requestSync: async (message) => {
      trace.push(`>> sync ${show(message)}`);
      const outcome = await wire.requestSync(message);
      trace.push(`<< sync ${show(outcome)}`);
      return outcome;
    },
    junk: (kind) => {
      trace.push(`>> junk ${kind}`);
      wire.junk(kind);
    },
    reset: () => wire.reset(),
    idle: () => wire.idle(),
    probe: () => wire.probe(),
    close: () => wire.close(),
    restart: () => wire.restart(),
    dispose: () => wire.dispose(),
  };
}

export async function fuzz(makeWire: () => Wire, options: FuzzOptions): Promise<FuzzReport> {
  const trace: string[] = [];
  const wire = process.env.FUZZ_TRACE ? traced(makeWire(), trace) : makeWire();
  const seed = options.seed ?? (Date.now() ^ Math.floor(Math.random() * 0x100000000)) | 0;
  const inProgress = join(tmpdir(), `weakwire-fuzz-${wire.name.replace(/\W+/g, '-')}.txt`);
  process.stderr.write(`fuzz ${wire.name}: ${options.numRuns} batches, FUZZ_SEED=${seed}\n`);
  let runIndex = 0;
  let failedAt: number | undefined;
  const peer = new HostilePeer(wire);
  const started = Date.now();
  let batches = 0;
  let messages = 0;
  let closes = 0;
  let maxHandlerMs = 0;
  let slowest = '';
  let reopen = true;

  const run = async (b: BatchT): Promise<void> => {
    trace.length = 0;
    // Until shrinking starts, fast-check's path of a run is its index.
    writeFileSync(inProgress, `FUZZ_SEED=${seed} FUZZ_PATH=${options.path ?? runIndex} (${wire.name})\n`);
    runIndex++;
    if (reopen) await peer.open();
    reopen = true; // until this batch ends well
    await peer.startBatch();
    for (const step of b.steps) await peer.step(step);
    let problems: string[];
    let probe: Probe;
    if (b.closeAtEnd) {
      await wire.close();
      probe = await waitForClose(wire);
      // Rejections of what the close failed surface a turn or two later.
      await sleep(20);
      probe = await wire.probe();
      problems = [...peer.anomalies, ...probeProblems(probe, false)];
      closes++;
    } else {
      await peer.cleanUp();
      probe = await wire.probe();
      peer.expectReplays(probe.replayed);
      problems = [...peer.anomalies, ...peer.answerProblems(), ...probeProblems(probe, true)];
      reopen = problems.length > 0;
    }
    batches++;
    messages += peer.generated;
    if (probe.maxHandlerMs > maxHandlerMs) {
      maxHandlerMs = probe.maxHandlerMs;
      slowest = probe.slowest;
    }
    if (problems.length > 0) {
      // Copies of slow messages are not in the traffic (the target makes them): their seqs are.
      const replays = probe.replayed.length > 0 ? `\nseqs the target handled again (slow): ${probe.replayed.join(', ')}` : '';
      const traffic = trace.length > 0 ? `\ntraffic of the batch:\n${trace.join('\n')}${replays}` : '';
      throw new Error(`${wire.name}: ${problems.join('\n')}${traffic}`);
    }
  };

  try {
    await fc.assert(
      fc.asyncProperty(batch({ junkKinds: wire.junkKinds }), async (b) => {
        // Shrinking a case whose every run takes seconds (a stuck server) would outlast any
        // test timeout: past the budget, the rest of the candidates pass untried, and fast-check
        // reports the smallest failure found so far (its seed and path replay it).
        if (failedAt !== undefined && Date.now() - failedAt > SHRINK_BUDGET_MS) return;
        try {
          await run(b);
        } catch (error) {
          // Whatever the batch left behind (a stuck or leaking server), the next one (a shrunk
          // case) starts on a fresh server.
          reopen = true;
          failedAt ??= Date.now();
          await wire.restart();
          throw error;
        }
      }),
      { numRuns: options.numRuns, seed, path: options.path },
    );
  } finally {
    await wire.dispose();
  }
  const report = { wire: wire.name, batches, messages, closes, ms: Date.now() - started, maxHandlerMs, slowest, coverage: peer.coverage };
  record(report);
  return report;
}
