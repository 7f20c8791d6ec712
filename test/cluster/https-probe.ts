// A minimal HTTPS GET for readiness checks, with client certificates (the global fetch cannot
// present one without an extra dispatcher).
import { readFileSync } from 'node:fs';
import { request } from 'node:https';

export interface ProbeTls {
  ca?: string;
  cert?: string;
  key?: string;
}

export function httpsGetStatus(url: string, tls: ProbeTls = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        ca: tls.ca ? readFileSync(tls.ca) : undefined,
        cert: tls.cert ? readFileSync(tls.cert) : undefined,
        key: tls.key ? readFileSync(tls.key) : undefined,
        // Components that generate their own serving certificate (controller-manager, scheduler)
        // are probed without a CA; the check is only "is it serving".
        rejectUnauthorized: tls.ca !== undefined,
        timeout: 2000,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
