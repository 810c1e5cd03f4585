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
 * What a member call gets when the member is not a function, on either side: a TypeError with
 * `code` ERR_REMOTE_NOT_A_FUNCTION.
 */
export function notAFunctionError(key: string): TypeError {
  return Object.assign(new TypeError(`Remote member ${JSON.stringify(key)} is not a function`), {
    code: 'ERR_REMOTE_NOT_A_FUNCTION',
  });
}
