// The chart's `helm test` (charts/bosun/templates/tests/install-check.yaml), run in the operator
// image: from inside the cluster, the operator answers /readyz, and the store's bucket can be
// listed with the store Secret (endpoint, credentials and bucket right). Prints one line per check
// and exits 0 when both pass, 1 otherwise; no line carries a credential.
import { parseStoreConfig } from '../lib/contract/env.ts';
import { UserError } from '../lib/contract/errors.ts';
import { ArtifactStore, type StoreConfig } from '../lib/store/client.ts';

export const INSTALL_CHECK_ENV = {
  readyzUrl: 'BOSUN_OPERATOR_READYZ_URL',
  /** Named in messages only: the Secret to fix when the store refuses the credentials. */
  credentialsSecret: 'BOSUN_STORE_CREDENTIALS_SECRET',
} as const;

/** Each check gives up after this long: an unreachable address fails the test, it does not hang it. */
export const CHECK_TIMEOUT_MS = 15_000;

/** A prefix the store layout never uses: listing it reads the bucket and returns nothing. */
const PROBE_PREFIX = 'install-check/';

export interface InstallCheckSettings {
  readyzUrl: string;
  store: StoreConfig;
  credentialsSecret: string;
}

export interface CheckResult {
  name: 'operator' | 'store';
  ok: boolean;
  message: string;
}

type Env = Record<string, string | undefined>;

export function parseInstallCheckSettings(env: Env): InstallCheckSettings {
  const readyzUrl = env[INSTALL_CHECK_ENV.readyzUrl]?.trim() ?? '';
  // Kubernetes leaves $(VAR) as it is when the variable is missing: the Service did not exist
  // when this Pod was created.
  if (readyzUrl.includes('$('))
    throw new UserError(
      'ConfigInvalid',
      `${INSTALL_CHECK_ENV.readyzUrl} is ${readyzUrl}: the operator's Service was missing when this Pod started`,
    );
  let url: URL;
  try {
    url = new URL(readyzUrl);
  } catch {
    throw new UserError(
      'ConfigInvalid',
      `${INSTALL_CHECK_ENV.readyzUrl} must be the operator's /readyz URL, got ${JSON.stringify(readyzUrl)}`,
    );
  }
  const secret = env[INSTALL_CHECK_ENV.credentialsSecret]?.trim();
  return {
    readyzUrl: url.href,
    store: parseStoreConfig(env),
    credentialsSecret: secret ? `Secret ${secret}` : 'the store Secret',
  };
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no answer in ${CHECK_TIMEOUT_MS / 1000} s`)),
      CHECK_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The store's own words for a refusal (its code and message), never the request that carried the keys. */
export function describeStoreError(error: unknown): string {
  const { code, message } = error as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : String(error);
  return typeof code === 'string' && !text.includes(code) ? `${code}: ${text}` : text;
}

export async function checkOperator(readyzUrl: string): Promise<CheckResult> {
  try {
    const response = await fetch(readyzUrl, { signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
    await response.body?.cancel();
    if (response.status === 200) return { name: 'operator', ok: true, message: `${readyzUrl} answered 200` };
    return {
      name: 'operator',
      ok: false,
      message: `${readyzUrl} answered ${response.status}: the operator's caches have not synced (see its log)`,
    };
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
    return { name: 'operator', ok: false, message: `${readyzUrl} did not answer: ${cause}` };
  }
}

export async function checkStore(settings: InstallCheckSettings): Promise<CheckResult> {
  const { store, credentialsSecret } = settings;
  const where = `bucket ${store.bucket} at ${store.endpoint}`;
  try {
    const client = new ArtifactStore(store);
    const listing = client.listObjects(PROBE_PREFIX);
    await withTimeout(listing.next(), where);
    await listing.return(undefined);
    return {
      name: 'store',
      ok: true,
      message: `${where} is readable with the credentials of ${credentialsSecret}`,
    };
  } catch (error) {
    return {
      name: 'store',
      ok: false,
      message: `cannot list ${where} with the credentials of ${credentialsSecret}: ${describeStoreError(error)}`,
    };
  }
}

export async function runInstallCheck(env: Env, print: (line: string) => void): Promise<number> {
  let settings: InstallCheckSettings;
  try {
    settings = parseInstallCheckSettings(env);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    print(`FAIL settings: ${error.message}`);
    return 1;
  }
  const results = await Promise.all([checkOperator(settings.readyzUrl), checkStore(settings)]);
  for (const r of results) print(`${r.ok ? 'ok' : 'FAIL'} ${r.name}: ${r.message}`);
  return results.every((r) => r.ok) ? 0 : 1;
}

if (import.meta.main) {
  // exit, not exitCode: a check that timed out may leave a connection attempt open.
  process.exit(await runInstallCheck(process.env, (line) => console.log(line)));
}
