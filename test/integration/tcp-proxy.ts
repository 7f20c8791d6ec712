// A TCP proxy in front of one server, for fault tests that must cut a component off without
// stopping it for every other test file running at the same time: `down()` closes the listening
// port and every connection (as a stopped server would: connections refused), `up()` listens on
// the same port again; `freeze()` keeps connections open and forwards nothing (a hung server).
import * as net from 'node:net';

export interface TcpProxy {
  host: string;
  port: number;
  freeze(): void;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(
  target: { host: string; port: number },
  listenHost = '127.0.0.1',
): Promise<TcpProxy> {
  let frozen = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (d) => frozen || upstream.write(d));
    upstream.on('data', (d) => frozen || client.write(d));
    client.on('end', () => frozen || upstream.end());
    upstream.on('end', () => frozen || client.end());
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, listenHost, () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  const down = async () => {
    for (const s of sockets) s.destroy();
    if (server.listening) await new Promise((resolve) => server.close(resolve));
  };
  return {
    host: listenHost,
    port,
    freeze: () => {
      frozen = true;
    },
    down,
    up: () => listen(port),
    close: down,
  };
}
