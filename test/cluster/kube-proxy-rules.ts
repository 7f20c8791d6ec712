// What kube-proxy has programmed for a Service on this node, read from its iptables rules. The
// EndpointSlices say which Pods are ready; the rules say where new connections go now, a sync
// later (seconds on a loaded machine), so a test measuring the split waits for the rules.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The `ip:port` endpoints the Service's port routes new connections to, from the comments kube-proxy
 * writes on its per-Service chain (`"<ns>/<service>:<port> -> <ip>:<port>"`), sorted.
 */
export function routedEndpoints(
  natRules: string,
  namespace: string,
  service: string,
  port: string,
): string[] {
  const prefix = `"${namespace}/${service}:${port} -> `;
  const endpoints: string[] = [];
  for (const line of natRules.split('\n')) {
    if (!line.startsWith('-A KUBE-SVC-')) continue;
    const start = line.indexOf(prefix);
    if (start < 0) continue;
    const end = line.indexOf('"', start + prefix.length);
    endpoints.push(line.slice(start + prefix.length, end));
  }
  return endpoints.sort();
}

/** The NAT table as `iptables-save` prints it (root only, as the node itself). */
export async function natRules(): Promise<string> {
  const { stdout } = await run('iptables-save', ['-t', 'nat'], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}
