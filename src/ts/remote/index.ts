/**
 * weakwire/remote: remote objects with distributed garbage collection.
 * @packageDocumentation
 */
export { RemoteServer, RemoteSession, type RemoteServerOptions, type ServerStats } from './server';
export type { EndpointStats as SessionStats } from './endpoint';
export { connect, RemoteClient, type ConnectOptions, type ClientStats } from './client';
export type { SessionOptions, ErrorStacks } from './session_options';
export { release } from './proxy';
export type { Remote, RemoteMember, RemoteResult, Received } from './types';
export { withTimeout } from './requests';
export { transfer, type Transferable } from './transfer';
export { RemoteError, type RemoteErrorCode } from './errors';
export { PROTOCOL_NAME, PROTOCOL_VERSION } from './protocol';
export { transports } from './transports';
export type { Transport, TransportHandlers, WireMessage } from './transport';
