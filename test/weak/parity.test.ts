import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// The same scenarios against weak-napi and weakwire/weak (built dist/), one child process each:
// weak-napi 2.0.2 crashes on Node 20 at exit while a target lives, so its exit status is ignored.
const repo = join(__dirname, '..', '..');
const fixture = join(repo, 'test', 'fixtures', 'weak', 'parity.js');
const ours = join(repo, 'dist', 'weak');

function run(module: string, scenario: string) {
  const child = spawnSync(process.execPath, [fixture, module, scenario], { encoding: 'utf8', timeout: 60_000 });
  const line = child.stdout.split('\n').find((text) => text.startsWith('{'));
  return { child, result: line === undefined ? undefined : (JSON.parse(line) as { result: unknown }).result };
}

function both(scenario: string) {
  const theirs = run('weak-napi', scenario);
  const mine = run(ours, scenario);
  // Ours always exits cleanly, live targets or not.
  expect(mine.child.stderr).toBe('');
  expect(mine.child.status).toBe(0);
  expect(theirs.result).toBeDefined();
  return { theirs: theirs.result, mine: mine.result };
}

describe('behaves as weak-napi', () => {
  test.each([
    ['exports', 'the export is a function that is its own create, with every helper'],
    ['primitives', 'primitives are refused as targets'],
    ['forwarding', 'reads, writes, deletes, `in` and Object.keys reach a live target'],
    ['prototypes', 'prototype writes and defineProperty of an existing property reach the target'],
    ['extensibility', 'preventExtensions through the reference reaches the target'],
    ['synchronousDeath', 'the target is dead right after a synchronous gc()'],
    ['deadIsEmpty', 'a dead reference is an empty object with a null prototype'],
    ['deadOperations', 'a dead reference refuses setPrototypeOf/defineProperty with TypeError, allows preventExtensions'],
    ['predicates', 'isWeakRef and isNearDeath answer the same'],
    ['callbackList', 'callbacks() is an array copy in the order added'],
    ['callbacksRun', 'callbacks run in order with no arguments and an EventEmitter as this'],
    ['removedCallbacks', 'removed callbacks do not run'],
  ])('%s: %s', (scenario) => {
    const { theirs, mine } = both(scenario);
    expect(mine).toEqual(theirs);
  });
});

describe('differs from weak-napi where docs/migrating-from-weak-napi.md says so', () => {
  test('Object.keys of a reference to an array works (weak-napi throws a proxy-invariant TypeError)', () => {
    const { theirs, mine } = both('arrayKeys');
    expect(theirs).toEqual({ threw: 'TypeError' });
    expect(mine).toEqual({ value: ['0', '1'] });
  });

  test('addCallback returns the EventEmitter, as node-weak did (weak-napi returns undefined)', () => {
    const { theirs, mine } = both('addCallbackResult');
    expect(theirs).toBe(false);
    expect(mine).toBe(true);
  });

  test('isWeakRef(null) is false (weak-napi throws)', () => {
    const { theirs, mine } = both('isWeakRefOfNull');
    expect(theirs).toEqual({ threw: 'TypeError' });
    expect(mine).toEqual({ value: false });
  });

  test('a throwing callback is reported and the later ones still run (weak-napi drops both silently)', () => {
    const { theirs, mine } = both('throwingCallback');
    expect(theirs).toEqual({ ran: [1, 2], uncaught: [] });
    expect(mine).toEqual({ ran: [1, 2, 3], uncaught: ['thrown by 2'] });
  });
});
