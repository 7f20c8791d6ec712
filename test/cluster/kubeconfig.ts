// Kubeconfig files for the test control plane, with the certificates embedded so a file can be
// copied or printed and still work.
import { readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { CertificatePair } from './pki.ts';

const base64 = (file: string) => readFileSync(file).toString('base64');

export function writeKubeconfig(
  path: string,
  options: { server: string; caCert: string; client: CertificatePair; user: string; cluster?: string },
): void {
  const cluster = options.cluster ?? 'bosun-test';
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: cluster,
        cluster: { server: options.server, 'certificate-authority-data': base64(options.caCert) },
      },
    ],
    users: [
      {
        name: options.user,
        user: {
          'client-certificate-data': base64(options.client.cert),
          'client-key-data': base64(options.client.key),
        },
      },
    ],
    contexts: [{ name: cluster, context: { cluster, user: options.user } }],
    'current-context': cluster,
  };
  writeFileSync(path, stringify(config), { mode: 0o600 });
}
