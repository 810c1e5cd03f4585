/**
 * docs/security.md: a hostile peer cannot crash your process. Each attack that would end a
 * process runs in a fresh one (test/fixtures/remote/attack_scenarios.js) with Node's defaults;
 * the test fails if that process dies.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const FIXTURE = join(__dirname, '..', '..', 'fixtures', 'remote', 'attack_scenarios.js');

interface Report {
  warnings: Array<{ name: string; code?: string; message: string }>;
  calls?: number;
  outcome?: unknown;
}

function run(scenario: string, nodeOptions: string[] = []): Report {
  const out = execFileSync(process.execPath, [...nodeOptions, FIXTURE, scenario], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  return JSON.parse(out.trim().split('\n').pop() as string) as Report;
}

describe('a failure nobody awaited, shaped by the peer', () => {
  test('whose message or name is not a string becomes a warning, and the process lives', () => {
    const report = run('failure-shapes');
    expect(report.calls).toBe(4);
    expect(report.warnings).toHaveLength(4);
    for (const warning of report.warnings) expect(typeof warning.message).toBe('string');
  });

  test('named DeprecationWarning does not end a process run with --throw-deprecation', () => {
    const report = run('failure-named-deprecation', ['--throw-deprecation']);
    expect(report.calls).toBe(1);
    expect(report.warnings).toEqual([expect.objectContaining({ message: 'not really' })]);
    expect(report.warnings[0].name).not.toBe('DeprecationWarning');
  });
});

describe('a pipelined argument (an answer marker) that a served function ignores', () => {
  // A marker naming a kept answer still pending arrives as a promise of it; the served function
  // did not await it, and when the answer failed the rejection was unhandled: the process died.
  test('naming an answer that then fails: the call is answered, and the process lives', () => {
    expect(run('ignored-answer-argument')).toMatchObject({ outcome: 'ignored', warnings: [] });
  });

  test('naming a member the policy denies: the call is answered, and the process lives', () => {
    expect(run('ignored-answer-member-argument')).toMatchObject({ outcome: 'ignored', warnings: [] });
  });
});

describe("the server's own function coming home as a member JavaScript calls by itself", () => {
  // `{ toString: <the server's own failing async function> }` passed to a served function that
  // converts its argument to a string: the conversion called it and dropped the rejected promise
  // it returned, an unhandled rejection that ended the process. The same with `then` and await.
  test('as toString: the message is refused, and the process lives', () => {
    expect(run('own-function-as-toString')).toMatchObject({
      outcome: expect.stringMatching(/a copied object's "toString" is one of your own functions/),
      warnings: [],
    });
  });

  test('as then: the message is refused, and the process lives', () => {
    expect(run('own-function-as-then')).toMatchObject({
      outcome: expect.stringMatching(/a copied object's "then" is one of your own functions/),
      warnings: [],
    });
  });
});

describe('a WebSocket peer that answers the closing handshake with an invalid frame', () => {
  test('after the session closed: the socket still has a listener for its error, and the process lives', () => {
    const report = run('websocket-late-invalid-frame');
    expect(report.outcome).toEqual({ answered: true });
  });
});
