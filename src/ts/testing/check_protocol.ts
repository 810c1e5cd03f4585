/**
 * Messages between a test's thread and a worker thread or child process that serves leak checks
 * (`serveLeakChecks` there, `leakTarget` here). Every message carries {@link TAG}, so the channel
 * can also carry the program's own messages.
 * @packageDocumentation
 */
import type { CollectionResult } from './track';
import type { LeakReport } from './leak_report';

/** Marks weakwire's messages on a shared channel; its value is the protocol version. */
export const TAG = 'weakwire:leak-check';
export const VERSION = 1;

/** Options that cross the channel: numbers, strings and booleans only. */
export type PlainOptions = Record<string, number | string | boolean | undefined>;

export type CheckRequest =
  | { [TAG]: number; id: number; op: 'noLeak'; name: string; options: PlainOptions }
  | { [TAG]: number; id: number; op: 'track'; name: string; label: string }
  | { [TAG]: number; id: number; op: 'wait'; tracker: number; options: PlainOptions }
  | { [TAG]: number; id: number; op: 'retained'; tracker: number; options: PlainOptions }
  | { [TAG]: number; id: number; op: 'explain'; tracker: number }
  | { [TAG]: number; id: number; op: 'forget'; tracker: number };

/** What a failure carries back: the message, and the report when it was a leak. */
export interface CheckFailure {
  name: string;
  message: string;
  report?: LeakReport;
}

export type CheckResponse =
  | { [TAG]: number; id: number; ok: true; value: LeakReport | CollectionResult | string[] | null }
  | { [TAG]: number; id: number; ok: false; error: CheckFailure };

export function isCheckMessage(message: unknown): message is { [TAG]: number; id: number } {
  return typeof message === 'object' && message !== null && typeof (message as { [TAG]?: unknown })[TAG] === 'number';
}
