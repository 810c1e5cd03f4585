/** Error codes the remote protocol raises itself (application errors keep their own names). */
export type RemoteErrorCode =
  | 'ERR_REMOTE_CLOSED'
  | 'ERR_REMOTE_RELEASED'
  | 'ERR_REMOTE_VERSION'
  | 'ERR_REMOTE_PROTOCOL'
  | 'ERR_REMOTE_DENIED'
  | 'ERR_REMOTE_TIMEOUT';

/** An error raised by the remote-object machinery rather than by the remote code. */
export class RemoteError extends Error {
  readonly code: RemoteErrorCode;

  constructor(code: RemoteErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RemoteError';
    this.code = code;
  }
}

export function protocolError(message: string): RemoteError {
  return new RemoteError('ERR_REMOTE_PROTOCOL', message);
}

export function deniedError(message: string): RemoteError {
  return new RemoteError('ERR_REMOTE_DENIED', message);
}

/**
 * The `code` of the TypeError a member call gets when the member is not a function (any more):
 * a sync client then stops treating that member as a method.
 */
export const NOT_A_FUNCTION = 'ERR_REMOTE_NOT_A_FUNCTION';
