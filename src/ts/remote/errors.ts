/**
 * The error taxonomy of the remote layer: every failure the machinery raises itself is a
 * `RemoteError` with one of these codes (application errors keep their own classes and names).
 */
import { types } from './platform';
import { Error, Object, TypeError } from './builtins';

/** Error codes the remote layer raises. */
export type RemoteErrorCode =
  /** The session (or its transport) is closed; nothing more can be sent or answered. */
  | 'ERR_REMOTE_CLOSED'
  /** The proxy was released with `release()` and can no longer be used. */
  | 'ERR_REMOTE_RELEASED'
  /** The peers speak different protocol versions. */
  | 'ERR_REMOTE_VERSION'
  /** The peer sent a malformed message or value. */
  | 'ERR_REMOTE_PROTOCOL'
  /** The access policy refused the operation (default-deny, prototype members, writes). */
  | 'ERR_REMOTE_DENIED'
  /** No answer came within the call timeout. */
  | 'ERR_REMOTE_TIMEOUT'
  /** `maxPendingCalls` requests (or unsettled promises of the peer) are already waiting. */
  | 'ERR_REMOTE_BUSY'
  /** One message is larger than the transport accepts; only that message failed. */
  | 'ERR_REMOTE_TOO_LARGE'
  /** A copied value is nested deeper than `maxDepth`; only that message failed. */
  | 'ERR_REMOTE_TOO_DEEP'
  /** Too much is queued for a peer that does not read; the transport closed. */
  | 'ERR_REMOTE_BACKLOG'
  /** A value the transport could not carry (a clone failure); only that message failed. */
  | 'ERR_REMOTE_UNENCODABLE';

/** An error raised by the remote-object machinery rather than by the remote code. */
export class RemoteError extends Error {
  readonly code: RemoteErrorCode;

  constructor(code: RemoteErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RemoteError';
    this.code = code;
  }
}

/**
 * The code of a RemoteError (or of any error carrying a string `code`), else undefined. A Proxy
 * has none: reading a member of a remote object would be a request to the peer (a synchronous
 * one in sync mode), and failures are sorted by code without asking anyone.
 */
export function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || types.isProxy(error)) return undefined;
  try {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What a thrown value says, in words, without ever throwing itself. The value may be anything: what
 * a getter of the application's value threw (a revoked Proxy throws on `instanceof` and on string
 * conversion), or what a peer's bytes made a decoder throw. Describing one failure must not raise a
 * second one, which would turn the failure of one message into the loss of the pipe. A Proxy is
 * not asked anything (its traps could run, or be a request to the peer).
 */
export function describeThrown(thrown: unknown): string {
  try {
    if (typeof thrown !== 'object' || thrown === null) return String(thrown);
    if (types.isProxy(thrown)) return 'a Proxy';
    const message = (thrown as { message?: unknown }).message;
    return typeof message === 'string' ? message : Object.prototype.toString.call(thrown);
  } catch {
    return 'a value that cannot be described';
  }
}

/**
 * Whether a failure to send concerned only that one message (it was too large, too deep or could
 * not be cloned) and the transport is still usable. Anything else means the pipe is gone.
 */
export function isMessageFailure(error: unknown): boolean {
  const code = codeOf(error);
  return code === 'ERR_REMOTE_TOO_LARGE' || code === 'ERR_REMOTE_TOO_DEEP' || code === 'ERR_REMOTE_UNENCODABLE';
}

export function protocolError(message: string): RemoteError {
  return new RemoteError('ERR_REMOTE_PROTOCOL', message);
}

export function deniedError(message: string): RemoteError {
  return new RemoteError('ERR_REMOTE_DENIED', message);
}

/**
 * What a member call gets when the member is not a function, on either side: a TypeError with
 * `code` ERR_REMOTE_NOT_A_FUNCTION.
 */
export function notAFunctionError(key: string): TypeError {
  return Object.assign(new TypeError(`Remote member ${JSON.stringify(key)} is not a function`), {
    code: 'ERR_REMOTE_NOT_A_FUNCTION',
  });
}
