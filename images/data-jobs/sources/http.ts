// An http source: a fixed list of URLs, fetched in every window with a timeout and a size cap, and
// the headers of its Secret. A URL has no time of its own, so its content is collected in the
// first window it is seen in: the batch summary remembers each URL's digest, and the same content
// is not collected again (a URL whose content changes is collected again, as new content).
import { createHash } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import { RetryableError, UserError } from '../../../lib/contract/errors.ts';
import type { HttpSource as HttpSourceSpec } from '../../../operator/api/dataset.ts';
import { HTTP_MAX_BYTES, HTTP_TIMEOUT_MS, sourceEnv } from '../job-contract.ts';
import { tableExtension } from './s3.ts';
import { type Candidate, ItemLeftOut, readCapped, type Source, type SourceContext } from './source.ts';

type Spec = Static<typeof HttpSourceSpec>;
type Env = Record<string, string | undefined>;

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

/** The headers of the source's Secret, given as `<prefix><key>` variables (job-contract.ts). */
export function headersFromEnv(env: Env, prefix: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(prefix) || value === undefined) continue;
    const header = name.slice(prefix.length).replaceAll('_', '-');
    if (!HEADER_NAME.test(header))
      throw new UserError('ConfigInvalid', `the headersSecret key of ${name} is not an HTTP header name`);
    if (/[\r\n]/.test(value))
      throw new UserError('ConfigInvalid', `the value of header ${header} (headersSecret) spans lines`);
    headers[header] = value;
  }
  return headers;
}

/** A URL for logs and manifests: without its query, which may carry a signature or a token. */
export function urlForRecord(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

const JSONL_TYPES = [
  'application/x-ndjson',
  'application/jsonl',
  'application/json-lines',
  'application/x-jsonlines',
];

/** `.csv` or `.jsonl`: from the URL's path, else its Content-Type, else its first character. */
function tableKind(url: URL, contentType: string | null, bytes: Buffer): string {
  const fromPath = tableExtension(url.pathname);
  if (fromPath) return fromPath;
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'text/csv') return '.csv';
  if (JSONL_TYPES.includes(type)) return '.jsonl';
  return bytes.toString('utf8', 0, 64).trimStart().startsWith('{') ? '.jsonl' : '.csv';
}

export function httpSource(spec: Spec, ctx: SourceContext): Source {
  const headers = headersFromEnv(ctx.env, sourceEnv(ctx.index).headerPrefix);
  const verified = spec.verified ?? false;
  const where = `http source ${ctx.name}`;

  async function fetchBytes(url: URL, shown: string): Promise<{ bytes: Buffer; contentType: string | null }> {
    let response: Response;
    try {
      response = await fetch(url, {
        headers,
        signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
        redirect: 'follow',
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
      throw new RetryableError('SourceUnavailable', `${where}: cannot fetch ${shown}: ${cause}`);
    }
    if (response.status === 404 || response.status === 410) {
      await response.body?.cancel();
      throw new ItemLeftOut('missing', `${shown} answered ${response.status}`);
    }
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw new UserError(
        'SourceAccessDenied',
        `${where}: ${shown} answered ${response.status}: check the headersSecret`,
      );
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      if (
        response.status >= 400 &&
        response.status < 500 &&
        response.status !== 408 &&
        response.status !== 429
      )
        throw new ItemLeftOut('missing', `${shown} answered ${response.status}`);
      throw new RetryableError('SourceUnavailable', `${where}: ${shown} answered ${response.status}`);
    }
    const length = Number(response.headers.get('content-length') ?? Number.NaN);
    if (length > HTTP_MAX_BYTES) {
      await response.body?.cancel();
      throw new ItemLeftOut('tooLarge', `${shown} is ${length} bytes, more than ${HTTP_MAX_BYTES}`);
    }
    if (!response.body) return { bytes: Buffer.alloc(0), contentType: response.headers.get('content-type') };
    try {
      const bytes = await readCapped(response.body as AsyncIterable<Uint8Array>, HTTP_MAX_BYTES, shown);
      return { bytes, contentType: response.headers.get('content-type') };
    } catch (e) {
      if (e instanceof ItemLeftOut) throw e;
      throw new RetryableError(
        'SourceUnavailable',
        `${where}: reading ${shown} failed: ${(e as Error).message}`,
      );
    }
  }

  return {
    async *candidates() {
      for (const [i, entry] of spec.urls.entries()) {
        const url = new URL(entry.url);
        const shown = urlForRecord(entry.url);
        const image = ctx.format === 'imagefolder';
        const candidate: Candidate = {
          // Zero-padded: the batch is ordered by id, and the list by its position (at most 100).
          id: String(i).padStart(3, '0'),
          kind: image ? 'image' : 'table',
          label: image ? (entry.label ?? null) : null,
          verified,
          attributes: { url: shown },
          // An image gets the extension of its format; a table's needs its answer (below).
          name: String(i),
          // Remembered by the URL's digest: the summary must not carry a token from its query.
          contentKey: createHash('sha256').update(entry.url).digest('hex'),
          read: async () => {
            const fetched = await fetchBytes(url, shown);
            if (!image) candidate.name = `${i}${tableKind(url, fetched.contentType, fetched.bytes)}`;
            return fetched.bytes;
          },
        };
        yield candidate;
      }
    },
  };
}
