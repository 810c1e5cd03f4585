/**
 * What the focused parts of a session share: its transport, policy, tables and trackers, the
 * codec factories, and its life cycle. The endpoint provides it; `inbound.ts`, `answers.ts` and
 * `outgoing.ts` work on it.
 */
import { Error } from './builtins';
import type { AnswerTable } from './answer_table';
import type { Decoder } from './codec/decoder';
import type { Encoder } from './codec/encoder';
import type { RemoteError } from './errors';
import type { ExportTable } from './export_table';
import type { Handshake } from './handshake';
import type { ImportTable } from './import_table';
import type { Outbox } from './outbox';
import type { PromiseTable } from './promise_table';
import type { RequestTracker } from './requests';
import type { SessionPolicy } from './session_options';
import type { Transport } from './transport';

export interface SessionContext {
  readonly transport: Transport;
  /** Where every message we send goes (in order; batched where the transport asks for it). */
  readonly outbox: Outbox;
  readonly policy: SessionPolicy;
  readonly exports: ExportTable;
  readonly imports: ImportTable;
  readonly requests: RequestTracker;
  readonly promises: PromiseTable;
  /** Our answers kept for the peer's pipelined requests. */
  readonly answers: AnswerTable;
  readonly handshake: Handshake;
  /** The session's 'error' channel: failures nobody awaits. */
  readonly report: (failure: unknown) => void;
  readonly closed: boolean;
  /** An encoder for one message; `request`: one of our requests (they may name kept answers). */
  encoder(request?: boolean): Encoder;
  /** A decoder for one message. */
  decoder(): Decoder;
  /** Counts a message that was dropped (malformed, unknown, lost). */
  dropped(): void;
  /** Ends the session; `notify` tells the peer. */
  close(reason: Error, notify?: boolean): void;
  closedError(id?: number): RemoteError;
}
