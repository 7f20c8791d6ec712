// A small HTTP client for the API server. client-node's KubeConfig supplies the server and the
// credentials (kubeconfig files, in-cluster service account tokens, exec plugins); requests go
// through node:https so every call is counted for /metrics, errors come back as one typed
// KubeApiError, and watches are streams the informer supervises itself.
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export class KubeApiError extends Error {
  override name = 'KubeApiError';
  readonly code: number;
  readonly reason: string;

  constructor(code: number, reason: string, message: string) {
    super(message);
    this.code = code;
    this.reason = reason;
  }
}

/**
 * A request refused, or cut off in flight, because the fence it went through was closed (e.g. the
 * leadership term it belonged to has ended): it did not reach the API server, or its answer was
 * not waited for.
 */
export class FencedError extends Error {
  override name = 'FencedError';

  constructor(method: string, path: string, signal: AbortSignal, inFlight: boolean) {
    const why = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted');
    super(
      inFlight
        ? `${method} ${path} cut off in flight (it may have reached the API server): ${why}`
        : `${method} ${path} not sent: ${why}`,
    );
  }
}

export const isNotFound = (e: unknown) => e instanceof KubeApiError && e.code === 404;
export const isConflict = (e: unknown) => e instanceof KubeApiError && e.code === 409;
export const isGone = (e: unknown) => e instanceof KubeApiError && e.code === 410;

export type RequestObserver = (method: string, code: string, seconds: number, path: string) => void;

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** What reconcilers need of a client: requests only (the recording fake client implements it too). */
export type ApiClient = Pick<KubeClient, 'request'>;

/** Credentials are re-read at most this often, so rotated service account tokens are picked up. */
const AUTH_REFRESH_MS = 30_000;
const REQUEST_TIMEOUT_MS = 30_000;

interface Auth {
  headers: Record<string, string>;
  agent: http.Agent;
  at: number;
}

export class KubeClient {
  readonly server: URL;
  readonly #config: KubeConfig;
  readonly #observe: RequestObserver | undefined;
  #auth: Promise<Auth> | undefined;
  #agent: { material: string; agent: http.Agent } | undefined;

  constructor(config: KubeConfig, observe?: RequestObserver) {
    const cluster = config.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
    this.#config = config;
    this.#observe = observe;
  }

  request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    return this.#request<T>(method, path, options, undefined);
  }

  /**
   * This client behind a fence: once `signal` aborts, no request starts (FencedError) and the ones
   * in flight are cut off, so nothing is written on behalf of something that has ended (e.g. a
   * leadership term).
   */
  fenced(signal: AbortSignal): ApiClient {
    return {
      request: async <T>(method: string, path: string, options: RequestOptions = {}): Promise<T> => {
        try {
          return await this.#request<T>(method, path, options, signal);
        } catch (error) {
          if (!signal.aborted || error instanceof FencedError || error instanceof KubeApiError) throw error;
          throw new FencedError(method, path, signal, true);
        }
      },
    };
  }

  async #request<T>(
    method: string,
    path: string,
    options: RequestOptions,
    fence: AbortSignal | undefined,
  ): Promise<T> {
    const started = performance.now();
    let code = '<error>';
    let sent = true;
    try {
      const { status, text } = await this.#send(method, path, options, fence);
      code = String(status);
      // A few endpoints (/readyz, /healthz) answer with plain text.
      const body = text === '' ? undefined : (safeParse(text) ?? text);
      if (status >= 400) throw toApiError(status, body, text);
      return body as T;
    } catch (error) {
      if (error instanceof FencedError) sent = false;
      throw error;
    } finally {
      // A request the fence refused was never made, so it is not counted.
      if (sent) this.#observe?.(method, code, (performance.now() - started) / 1000, path);
    }
  }

  /**
   * Streams a watch: calls `onEvent` for each event until the server closes the stream (resolves),
   * an error occurs (rejects), `signal` aborts (resolves) or nothing arrives for `idleMs` (rejects).
   */
  async watch<T>(
    path: string,
    query: RequestOptions['query'],
    onEvent: (event: WatchEvent<T>) => void,
    options: { signal: AbortSignal; idleMs: number },
  ): Promise<void> {
    const auth = await this.#authenticate();
    const url = this.#url(path, { ...query, watch: true });
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let idle: NodeJS.Timeout | undefined;
      const finish = (error?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(idle);
        options.signal.removeEventListener('abort', onAbort);
        req.destroy();
        if (error) reject(error);
        else resolve();
      };
      const resetIdle = () => {
        clearTimeout(idle);
        idle = setTimeout(
          () => finish(new Error(`watch idle for ${options.idleMs / 1000} s, reconnecting`)),
          options.idleMs,
        );
      };
      const onAbort = () => finish();
      options.signal.addEventListener('abort', onAbort, { once: true });
      const req = this.#module().request(
        url,
        { method: 'GET', agent: auth.agent, headers: { ...auth.headers, Accept: 'application/json' } },
        (res) => {
          this.#observe?.('WATCH', String(res.statusCode), 0, path);
          if (res.statusCode !== 200) {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              text += chunk;
            });
            res.on('end', () => finish(toApiError(res.statusCode ?? 0, safeParse(text), text)));
            res.on('error', finish);
            return;
          }
          resetIdle();
          let buffer = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            resetIdle();
            buffer += chunk;
            let newline = buffer.indexOf('\n');
            while (newline >= 0) {
              const line = buffer.slice(0, newline);
              buffer = buffer.slice(newline + 1);
              newline = buffer.indexOf('\n');
              if (line.trim() === '') continue;
              try {
                onEvent(JSON.parse(line) as WatchEvent<T>);
              } catch (error) {
                finish(error);
                return;
              }
            }
          });
          res.on('end', () => finish());
          res.on('error', finish);
          res.on('aborted', () => finish(new Error('watch stream aborted')));
        },
      );
      req.on('error', finish);
      req.end();
      resetIdle();
    });
  }

  #module(): typeof https | typeof http {
    return this.server.protocol === 'http:' ? http : https;
  }

  #url(path: string, query: RequestOptions['query']): URL {
    const url = new URL(this.server.pathname.replace(/\/$/, '') + path, this.server);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  async #send(
    method: string,
    path: string,
    options: RequestOptions,
    fence: AbortSignal | undefined,
  ): Promise<{ status: number; text: string }> {
    const auth = await this.#authenticate();
    // Checked after the credentials are read, the last moment before anything is sent.
    if (fence?.aborted) throw new FencedError(method, path, fence, false);
    options.signal?.throwIfAborted();
    const signal =
      fence && options.signal ? AbortSignal.any([fence, options.signal]) : (fence ?? options.signal);
    const url = this.#url(path, options.query);
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = { ...auth.headers, Accept: 'application/json' };
    if (payload !== undefined) {
      headers['Content-Type'] = options.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    return new Promise((resolve, reject) => {
      const req = this.#module().request(
        url,
        { method, agent: auth.agent, headers, timeout: REQUEST_TIMEOUT_MS, signal },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`${method} ${path}: no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)),
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  #authenticate(): Promise<Auth> {
    const now = Date.now();
    const current = this.#auth;
    if (current) {
      return current.then((auth) => {
        if (now - auth.at < AUTH_REFRESH_MS) return auth;
        this.#auth = undefined;
        return this.#authenticate();
      });
    }
    const fresh = this.#loadAuth(now);
    this.#auth = fresh;
    fresh.catch(() => {
      if (this.#auth === fresh) this.#auth = undefined;
    });
    return fresh;
  }

  async #loadAuth(at: number): Promise<Auth> {
    const opts: https.RequestOptions = {};
    await this.#config.applyToHTTPSOptions(opts);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) headers[k] = String(v);
    if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    const agentOptions = { keepAlive: true, maxSockets: 64 };
    const previous = this.#agent;
    const material = JSON.stringify(
      [opts.ca, opts.cert, opts.key, opts.rejectUnauthorized, opts.servername].map(String),
    );
    if (previous && previous.material === material) return { headers, agent: previous.agent, at };
    previous?.agent.destroy();
    const agent =
      this.server.protocol === 'http:'
        ? new http.Agent(agentOptions)
        : new https.Agent({
            ...agentOptions,
            ca: opts.ca,
            cert: opts.cert,
            key: opts.key,
            ...(opts.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: opts.rejectUnauthorized }),
            ...(opts.servername ? { servername: opts.servername } : {}),
          });
    this.#agent = { material, agent };
    return { headers, agent, at };
  }

  /** Closes idle keep-alive connections (at shutdown). */
  close(): void {
    this.#agent?.agent.destroy();
  }
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function toApiError(status: number, body: unknown, text: string): KubeApiError {
  const s = body as { reason?: string; message?: string } | undefined;
  return new KubeApiError(status, s?.reason ?? '', s?.message ?? (text.slice(0, 500) || `HTTP ${status}`));
}
