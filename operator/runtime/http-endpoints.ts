// /healthz and /readyz (the probe port, 8081 by default) and /metrics (8080), as controller-runtime
// serves them. They run on every replica, leader or not.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export type Check = () => string | undefined;

/** Parses ":8080", "0.0.0.0:8080" or "127.0.0.1:0"; "0" disables the endpoint. */
export function parseBindAddress(value: string): { host: string; port: number } | undefined {
  if (value === '0') return undefined;
  const at = value.lastIndexOf(':');
  const host = at <= 0 ? '0.0.0.0' : value.slice(0, at);
  const port = Number(value.slice(at + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`invalid bind address ${JSON.stringify(value)}`);
  return { host, port };
}

async function listen(server: Server, bind: { host: string; port: number }): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(bind.port, bind.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server.address() as AddressInfo;
}

function runChecks(checks: Record<string, Check>): { ok: boolean; text: string } {
  const lines: string[] = [];
  let ok = true;
  for (const [name, check] of Object.entries(checks)) {
    const problem = check();
    if (problem) ok = false;
    lines.push(problem ? `[-]${name} failed: ${problem}` : `[+]${name} ok`);
  }
  return { ok, text: `${lines.join('\n')}\n${ok ? 'ok' : 'check failed'}\n` };
}

export async function serveProbes(
  bind: { host: string; port: number },
  checks: { healthz: Record<string, Check>; readyz: Record<string, Check> },
): Promise<{ server: Server; address: AddressInfo }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const set = path === '/healthz' ? checks.healthz : path === '/readyz' ? checks.readyz : undefined;
    if (!set) {
      res.writeHead(404).end('not found\n');
      return;
    }
    const { ok, text } = runChecks(set);
    res.writeHead(ok ? 200 : 500, { 'Content-Type': 'text/plain' }).end(text);
  });
  return { server, address: await listen(server, bind) };
}

export async function serveMetrics(
  bind: { host: string; port: number },
  registry: Registry,
): Promise<{ server: Server; address: AddressInfo }> {
  const server = createServer((req, res) => {
    if ((req.url ?? '/').split('?')[0] !== '/metrics') {
      res.writeHead(404).end('not found\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
      (error: unknown) =>
        res.writeHead(500).end(`${error instanceof Error ? error.message : String(error)}\n`),
    );
  });
  return { server, address: await listen(server, bind) };
}
