// Register a destructor: setDestructor vs the Node-API floor vs FinalizationRegistry.register vs
// weak-napi.
import { benchRequire, loadWeakwire } from '../lib/weakwire.mjs';
import { loadFloor } from '../lib/floor.mjs';
import { runChild } from '../lib/child.mjs';
import { measureRounds, settle, summarizeRounds } from '../lib/rounds.mjs';

/**
 * The register case in `procs` fresh processes (bench/children/register.mjs), `rounds` rounds
 * each; every task's per-round figures are put together in process order, so a ratio per round
 * still compares two tasks of one process. A process's memory layout moves a registration by up
 * to 20 % for one implementation and not the other (bench/NOTES.md, "register bimodality"): one
 * process, however many rounds, measures that process's luck.
 */
export async function registerAcrossProcesses({ procs, rounds, time }) {
  const perTask = {};
  for (let p = 0; p < procs; p++) {
    const result = await runChild('register.mjs', [rounds, time]);
    for (const [name, values] of Object.entries(result)) (perTask[name] ??= []).push(...values);
  }
  return summarizeRounds(perTask);
}

export async function registerCase({ rounds, time, batch = 10_000 }) {
  const { setDestructor } = loadWeakwire();
  const weak = benchRequire('weak-napi');
  const floor = loadFloor();
  let fired = 0;
  let registered = 0;
  const onDeath = () => {
    fired++;
  };
  const registry = new FinalizationRegistry(onDeath);
  let targets = null;

  const fresh = () => {
    targets = new Array(batch);
    for (let i = 0; i < batch; i++) targets[i] = { id: i };
  };
  // Untimed: drop the batch and let every callback run, so finalizing one batch is never
  // charged to registering the next.
  const drain = async () => {
    targets = null;
    registered += batch;
    await settle(() => {
      floor.poll(onDeath);
      return fired >= registered;
    }, 400);
    fired = registered = 0;
  };
  const common = { opsPerCall: batch, beforeEach: fresh, afterEach: drain };
  return measureRounds(
    [
      {
        name: 'weakwire setDestructor',
        fn: () => {
          for (let i = 0; i < batch; i++) setDestructor(targets[i], onDeath, i);
        },
        ...common,
      },
      {
        name: 'Node-API floor',
        fn: () => {
          for (let i = 0; i < batch; i++) floor.track(targets[i], i);
        },
        ...common,
      },
      {
        name: 'FinalizationRegistry.register',
        fn: () => {
          for (let i = 0; i < batch; i++) registry.register(targets[i], i);
        },
        ...common,
      },
      {
        name: 'weak-napi weak(o, cb)',
        last: true,
        fn: () => {
          for (let i = 0; i < batch; i++) weak(targets[i], onDeath);
        },
        ...common,
      },
    ],
    { rounds, time, iterations: 8 },
  );
}
