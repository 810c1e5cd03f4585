/**
 * The handshake: a client's first request is `hello` with the protocol name and version; the
 * server answers with its version or refuses, and refuses every other request before it.
 */
import { Error, Promise } from './builtins';
import { protocolError, RemoteError } from './errors';
import { literal, PROTOCOL_NAME, PROTOCOL_VERSION, type MessageOf } from './protocol';

export class Handshake {
  private done = false;
  private resolveReady!: () => void;
  private rejectReady!: (error: Error) => void;
  /** Resolves once the peer accepted our HELLO (client) or we accepted its HELLO (server). */
  readonly ready: Promise<void>;

  constructor(private readonly role: 'client' | 'server') {
    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // Failures reach the application through the requests (and the 'close' event): `ready` is
    // for those who want to wait, never an unhandled rejection.
    this.ready.catch(() => {});
  }

  get greeted(): boolean {
    return this.done;
  }

  /** The HELLO a client sends. */
  hello(seq: number): MessageOf<'hello'> {
    return { op: 'hello', seq, protocol: PROTOCOL_NAME, version: PROTOCOL_VERSION };
  }

  /** Client: checks the server's answer to HELLO; throws ERR_REMOTE_VERSION on a mismatch. */
  accepted(version: unknown): void {
    if (version !== PROTOCOL_VERSION) {
      throw new RemoteError(
        'ERR_REMOTE_VERSION',
        `Protocol version mismatch: the server speaks version ${literal(version)}, ` +
          `this side speaks "${PROTOCOL_NAME}" version ${PROTOCOL_VERSION}`,
      );
    }
    this.complete();
  }

  /**
   * Server: the answer to a client's HELLO (our version). Throws for a duplicate HELLO, one sent
   * to a client, or another version (ERR_REMOTE_VERSION; the caller then closes the session).
   */
  onHello(message: MessageOf<'hello'>): number {
    if (this.role !== 'server') throw protocolError('Unexpected HELLO: this side is the client');
    if (this.done) throw protocolError('Duplicate HELLO');
    if (message.protocol !== PROTOCOL_NAME || message.version !== PROTOCOL_VERSION) {
      throw new RemoteError(
        'ERR_REMOTE_VERSION',
        `Protocol version mismatch: the peer speaks ${literal(message.protocol)} version ` +
          `${literal(message.version)}, this side speaks "${PROTOCOL_NAME}" version ${PROTOCOL_VERSION}`,
      );
    }
    this.complete();
    return PROTOCOL_VERSION;
  }

  /** Throws unless the handshake is done (every request but HELLO needs it). */
  assertGreeted(): void {
    if (!this.done) throw protocolError('Handshake required: send HELLO first');
  }

  fail(error: Error): void {
    this.rejectReady(error);
  }

  private complete(): void {
    this.done = true;
    this.resolveReady();
  }
}
