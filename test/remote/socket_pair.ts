import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';

/** Both ends of a fresh TCP connection on 127.0.0.1: [the client's socket, the server's]. */
export async function socketPair(): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const client = net.connect(port, '127.0.0.1');
  const [[accepted]] = await Promise.all([once(server, 'connection'), once(client, 'connect')]);
  server.close();
  return [client, accepted as net.Socket];
}

/** A self-signed certificate for `localhost`, made with openssl into a fresh directory. */
export function selfSignedCertificate(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'weakwire-tls-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Both ends of a fresh TLS connection on 127.0.0.1: [the client's socket, the server's]. */
export async function tlsSocketPair(credentials: { key: Buffer; cert: Buffer }): Promise<[tls.TLSSocket, tls.TLSSocket]> {
  const server = tls.createServer(credentials);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const client = tls.connect({ port, host: '127.0.0.1', ca: credentials.cert, servername: 'localhost' });
  const [[accepted]] = await Promise.all([once(server, 'secureConnection'), once(client, 'secureConnect')]);
  server.close();
  return [client, accepted as tls.TLSSocket];
}
