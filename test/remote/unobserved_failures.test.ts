/**
 * Failures nobody awaits never end the process: each scenario runs in a fresh Node.js process
 * with the default unhandled-rejection mode (an unhandled rejection kills it with code 1), and
 * reports what reached the 'error' channel and the process warnings.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const FIXTURE = join(__dirname, '..', 'fixtures', 'remote', 'unobserved_failures.js');

interface Report {
  sessionErrors: Array<{ name: string; code?: string; message: string }>;
  clientErrors: Array<{ name: string; code?: string; message: string }>;
  warnings: Array<{ name: string; code?: string; message: string }>;
  requestsToClient: number;
  seen?: unknown[];
}

/** Runs a scenario; throws (failing the test) if the process died. */
function run(scenario: string, listen = false): Report {
  const out = execFileSync(process.execPath, [FIXTURE, scenario, ...(listen ? ['listen'] : [])], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  return JSON.parse(out.trim().split('\n').pop() as string) as Report;
}

describe('a promise argument the served function ignores, later rejected', () => {
  test('does not end the server process, and warns about nothing (the rejection was the client\'s value)', () => {
    const report = run('promise-argument');
    expect(report.warnings).toEqual([]);
  });
});

describe('a client callback that throws while the server does not await it', () => {
  test("goes to the session's 'error' listener", () => {
    const report = run('callback-throws', true);
    expect(report.sessionErrors).toEqual([expect.objectContaining({ message: 'listener failed' })]);
    expect(report.warnings).toEqual([]);
  });

  test('becomes a process warning when nobody listens', () => {
    const report = run('callback-throws');
    expect(report.warnings).toEqual([expect.objectContaining({ message: 'listener failed' })]);
  });
});

describe('a client callback called after the client disconnected', () => {
  test('is dropped, and one warning per session says so', () => {
    const report = run('callback-after-close');
    expect(report.warnings).toEqual([
      expect.objectContaining({ code: 'ERR_REMOTE_CLOSED', message: expect.stringMatching(/dropped/) }),
    ]);
  });

  test("goes once to the session's 'error' listener when there is one", () => {
    const report = run('callback-after-close', true);
    expect(report.sessionErrors).toEqual([expect.objectContaining({ code: 'ERR_REMOTE_CLOSED' })]);
    expect(report.warnings).toEqual([]);
  });
});

describe('a client that dies while its async callback still runs', () => {
  test('does not end the server process; the dropped call is reported once', () => {
    const report = run('client-dies-mid-callback', true);
    expect(report.sessionErrors).toEqual([expect.objectContaining({ code: 'ERR_REMOTE_CLOSED' })]);
  });
});

describe('ordinary server code that coerces a client object', () => {
  test('JSON.stringify, String, template literals and util.inspect are answered locally', () => {
    const report = run('coercions');
    expect(report.requestsToClient).toBe(0);
    expect(report.seen).toEqual([
      '"[remote object #1]"',
      '[remote object #1]',
      '[remote object #1]',
      '[remote object #1]',
      '{"m":"[remote member member of #1]"}',
      '[remote member member of #1]',
      true,
      'undefined',
    ]);
    expect(report.warnings).toEqual([]);
  });
});
