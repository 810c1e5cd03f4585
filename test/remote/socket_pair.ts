import { once } from 'node:events';
import net from 'node:net';

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
