/**
 * What a session sends that needs no answer of its own: answers to the peer's requests, and
 * notices (`settle`, `free`). A message the transport cannot carry fails alone (the request gets
 * an error answer saying why, a promise a rejection saying why); only a dead transport ends the
 * session. Every failed send gives back the references it counted.
 */
import { Error } from './builtins';
import { encodeValues, refusedWhole } from './codec/messages';
import type { Encoder } from './codec/encoder';
import { isMessageFailure } from './errors';
import type { Reply } from './incoming';
import { ByReference } from './operations';
import type { SessionContext } from './session_context';
import type { WireMessage } from './transport';

/** The error answer sent when even encoding the failure failed (it never should). */
function lastResortAnswer(seq: number): WireMessage {
  return { op: 'error', seq, error: { $: 'error', name: 'Error', message: 'The remote error could not be sent' } };
}

/**
 * Answers request `seq` with its result (by reference when it is a ByReference). `clonesWhole`
 * is false when structured clone refused the result whole (see `refusedWhole`): tagged then.
 */
export function answerResult(ctx: SessionContext, seq: number, outcome: unknown, reply: Reply | undefined, clonesWhole = true): void {
  const encoder = ctx.encoder();
  encoder.clonesWhole = clonesWhole;
  let answer: WireMessage;
  try {
    answer =
      ByReference.is(outcome)
        ? { op: 'result', seq, value: encoder.encode(outcome.value, true) }
        : encodeValues(encoder, { op: 'result', seq }, [outcome]);
  } catch (error) {
    ctx.exports.unsend(encoder.sent);
    answer = failureAnswer(ctx, seq, error);
    sendAnswer(ctx, answer, reply);
    return;
  }
  const resend = encoder.clonedWhole ? () => answerResult(ctx, seq, outcome, reply, false) : undefined;
  sendAnswer(ctx, answer, reply, encoder, true, resend);
}

/** An error answer for request `seq`. Never throws. */
export function failureAnswer(ctx: SessionContext, seq: number, error: unknown): WireMessage {
  const encoder = ctx.encoder();
  try {
    return encodeValues(encoder, { op: 'error', seq }, [error]);
  } catch {
    ctx.exports.unsend(encoder.sent);
    return lastResortAnswer(seq);
  }
}

/**
 * Sends an answer (in place for a synchronous request). If the transport cannot carry it (too
 * large), the request gets a short error answer saying so instead, whether the answer was a
 * result or an error (a thrown value can be as large as the peer's input); only a dead transport
 * closes. `retry` is false for that short answer itself. `resend` answers again, tagged, if
 * structured clone refuses the answer whole.
 */
export function sendAnswer(
  ctx: SessionContext,
  answer: WireMessage,
  reply: Reply | undefined,
  encoder?: Encoder,
  retry = true,
  resend?: () => void,
): void {
  if (ctx.closed) {
    // Ended while the request ran: the peer can never free what the answer would export.
    if (encoder !== undefined) ctx.exports.unsend(encoder.sent);
    if (reply === undefined) return;
  }
  if (reply === undefined) {
    ctx.outbox.send(answer, encoder?.transfers, (error) => answerUnsent(ctx, answer, undefined, encoder, retry, error, resend));
    return;
  }
  // The peer reads this answer before anything still queued: send that first.
  ctx.outbox.flush();
  try {
    reply(answer);
  } catch (error) {
    answerUnsent(ctx, answer, reply, encoder, retry, error, resend);
  }
}

/** An answer could not be sent: its sends are given back, and the request gets a short error instead. */
function answerUnsent(
  ctx: SessionContext,
  answer: WireMessage,
  reply: Reply | undefined,
  encoder: Encoder | undefined,
  retry: boolean,
  error: unknown,
  resend: (() => void) | undefined,
): void {
  if (encoder !== undefined) ctx.exports.unsend(encoder.sent);
  if (!isMessageFailure(error)) {
    ctx.close(error as Error, false);
    return;
  }
  if (resend !== undefined && refusedWhole(encoder!, error)) {
    resend();
    return;
  }
  const seq = answer.seq;
  if (retry && typeof seq === 'number') sendAnswer(ctx, failureAnswer(ctx, seq, error), reply, undefined, false);
  else ctx.report(error);
}

/** Sends a message that needs no answer (free); a dead transport ends the session. */
export function sendNotice(ctx: SessionContext, message: WireMessage): void {
  if (ctx.closed) return;
  ctx.outbox.send(message, undefined, (error) => {
    if (isMessageFailure(error)) ctx.report(error);
    else ctx.close(error as Error, false);
  });
}

/**
 * Tells the peer that our promise `id` settled. A value that cannot be encoded or sent rejects it
 * instead, with a short error saying why (`retry` is false for that rejection itself), so the
 * peer's promise settles whatever the value was.
 */
export function sendSettle(ctx: SessionContext, id: number, ok: boolean, value: unknown, retry = true, clonesWhole = true): void {
  if (ctx.closed) return;
  const encoder = ctx.encoder();
  encoder.clonesWhole = clonesWhole;
  let message: WireMessage;
  try {
    message = encodeValues(encoder, { op: 'settle', id, ok }, [value]);
  } catch (error) {
    ctx.exports.unsend(encoder.sent);
    if (retry) sendSettle(ctx, id, false, error, false);
    else ctx.report(error);
    return;
  }
  ctx.outbox.send(message, encoder.transfers, (error) => {
    ctx.exports.unsend(encoder.sent);
    if (refusedWhole(encoder, error)) sendSettle(ctx, id, ok, value, retry, false);
    else if (!isMessageFailure(error)) ctx.close(error as Error, false);
    else if (retry) sendSettle(ctx, id, false, error, false);
    else ctx.report(error);
  });
}
