// Certificates and keys for a throwaway control plane, made with the openssl CLI. ECDSA P-256 keys
// keep generation to a few milliseconds each, so every run gets fresh ones.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CertificatePair {
  cert: string;
  key: string;
}

export interface ClientIdentity {
  /** Common name: the Kubernetes user name. */
  user: string;
  /** Organisations: the Kubernetes groups. */
  groups?: string[];
}

async function newKey(path: string): Promise<void> {
  await run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path]);
}

function subject(identity: ClientIdentity): string {
  const quote = (value: string) => value.replace(/([/\\=,+])/g, '\\$1');
  return [...(identity.groups ?? []).map((g) => `/O=${quote(g)}`), `/CN=${quote(identity.user)}`].join('');
}

export class CertificateAuthority {
  private readonly dir: string;
  readonly pair: CertificatePair;

  private constructor(dir: string, pair: CertificatePair) {
    this.dir = dir;
    this.pair = pair;
  }

  static async create(dir: string, name = 'bosun-test-ca'): Promise<CertificateAuthority> {
    const pair = { cert: join(dir, 'ca.crt'), key: join(dir, 'ca.key') };
    await newKey(pair.key);
    await run('openssl', [
      'req',
      '-x509',
      '-new',
      '-key',
      pair.key,
      '-subj',
      `/CN=${name}`,
      '-days',
      '30',
      '-out',
      pair.cert,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
    ]);
    return new CertificateAuthority(dir, pair);
  }

  /** The CA that `create` left in `dir`, to issue more certificates later (for a node). */
  static load(dir: string): CertificateAuthority {
    return new CertificateAuthority(dir, { cert: join(dir, 'ca.crt'), key: join(dir, 'ca.key') });
  }

  /** A certificate signed by this CA: a client identity, and server names when `hosts` is given. */
  async issue(
    file: string,
    identity: ClientIdentity,
    options: { hosts?: string[]; client?: boolean } = {},
  ): Promise<CertificatePair> {
    const pair = { cert: join(this.dir, `${file}.crt`), key: join(this.dir, `${file}.key`) };
    const csr = join(this.dir, `${file}.csr`);
    const ext = join(this.dir, `${file}.ext`);
    await newKey(pair.key);
    await run('openssl', ['req', '-new', '-key', pair.key, '-subj', subject(identity), '-out', csr]);
    const usages = [options.client !== false ? 'clientAuth' : '', options.hosts ? 'serverAuth' : '']
      .filter(Boolean)
      .join(',');
    const lines = [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      `extendedKeyUsage=${usages}`,
    ];
    if (options.hosts) {
      const san = options.hosts.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
      lines.push(`subjectAltName=${san}`);
    }
    writeFileSync(ext, `${lines.join('\n')}\n`);
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      this.pair.cert,
      '-CAkey',
      this.pair.key,
      // Random serials: certificates issued later from a loaded CA never repeat one.
      '-set_serial',
      `0x${randomBytes(8).toString('hex')}`,
      '-days',
      '30',
      '-extfile',
      ext,
      '-out',
      pair.cert,
    ]);
    return pair;
  }
}

/** The key pair the API server signs and verifies service-account tokens with. */
export async function serviceAccountKeys(dir: string): Promise<{ privateKey: string; publicKey: string }> {
  const privateKey = join(dir, 'sa.key');
  const publicKey = join(dir, 'sa.pub');
  await newKey(privateKey);
  await run('openssl', ['pkey', '-in', privateKey, '-pubout', '-out', publicKey]);
  return { privateKey, publicKey };
}
