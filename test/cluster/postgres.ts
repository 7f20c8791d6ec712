// A throwaway PostgreSQL cluster (Debian's server binaries) on loopback with a generated password.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { postgresBinDir } from './paths.ts';
import { freePorts, type ProcessGroup, waitUntil } from './process.ts';

const run = promisify(execFile);

export interface PostgresInfo {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** postgres://user:password@host:port/database */
  url: string;
}

/** postgres refuses to run as root; as root we run it as Debian's `postgres` user. */
function serverUser(): { name: string; uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { name: 'postgres', uid: id('-u'), gid: id('-g') };
}

export async function startPostgres(
  dir: string,
  group: ProcessGroup,
  address: string,
): Promise<PostgresInfo> {
  const bin = postgresBinDir();
  if (!existsSync(join(bin, 'initdb'))) {
    throw new Error(
      `PostgreSQL server binaries not found in ${bin}: run 'make deps' (installs Debian's postgresql)`,
    );
  }
  const user = serverUser();
  const pgDir = join(dir, 'postgres');
  mkdirSync(pgDir, { recursive: true, mode: 0o700 });
  if (user) chownSync(pgDir, user.uid, user.gid);

  const password = randomBytes(18).toString('base64url');
  const pwfile = join(pgDir, 'pwfile');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (user) chownSync(pwfile, user.uid, user.gid);
  const data = join(pgDir, 'data');
  const asUser = user ? ['setpriv', '--reuid', user.name, '--regid', user.name, '--init-groups', '--'] : [];
  const [command = '', ...args] = [
    ...asUser,
    join(bin, 'initdb'),
    '--pgdata',
    data,
    '--username=bosun',
    `--pwfile=${pwfile}`,
    '--auth=scram-sha-256',
    '--encoding=UTF8',
    '--locale=C',
    '--no-sync',
  ];
  await run(command, args);
  // Password logins from any address: with a node, pods connect from the pod network; the server
  // listens only on the environment's own address.
  const hba = join(data, 'pg_hba.conf');
  writeFileSync(hba, 'local all all scram-sha-256\nhost all all 0.0.0.0/0 scram-sha-256\n', { mode: 0o600 });
  if (user) chownSync(hba, user.uid, user.gid);

  const [port] = (await freePorts(1, address)) as [number];
  const postgres = group.start(
    'postgres',
    join(bin, 'postgres'),
    [
      '-D',
      data,
      '-c',
      `listen_addresses=${address}`,
      '-c',
      `port=${port}`,
      '-c',
      `unix_socket_directories=${pgDir}`,
      // A throwaway database: crash safety buys nothing here.
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
    ],
    { user: user?.name },
  );
  const info: PostgresInfo = {
    host: address,
    port,
    user: 'bosun',
    password,
    database: 'postgres',
    url: `postgres://bosun:${encodeURIComponent(password)}@${address}:${port}/postgres`,
  };
  await waitUntil(
    'postgres',
    async () => {
      const client = new pg.Client({ connectionString: info.url });
      await client.connect();
      try {
        await client.query('SELECT 1');
      } finally {
        await client.end();
      }
      return true;
    },
    { timeoutMs: 30_000, process: postgres },
  );
  return info;
}
