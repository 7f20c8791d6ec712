// Events through events.k8s.io/v1. An event identical to one sent in the last 6 minutes (same object,
// type, reason, action and note) becomes a series count on the existing Event instead of a new
// object (client-go tools/events). Events are best effort: a failure is logged, never retried, and
// never fails a reconcile; what matters is also in status.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { KubeClient } from './kube-client.ts';
import type { KubeObject } from './kube-object.ts';

export interface EventRecord {
  type: 'Normal' | 'Warning';
  reason: string;
  action: string;
  note: string;
}

const SERIES_WINDOW_MS = 6 * 60_000;
const CACHE_SIZE = 4096;
const MAX_NOTE = 1024;

interface Sent {
  name: string;
  namespace: string;
  count: number;
  at: number;
}

function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Where controllers send Events: the recorder, or a recording list in tests. */
export interface EventSink {
  record(regarding: KubeObject, event: EventRecord): void;
}

export class EventRecorder implements EventSink {
  readonly #client: KubeClient;
  readonly #controller: string;
  readonly #instance: string;
  readonly #log: Logger;
  /** Insertion-ordered, so the oldest entry is evicted first. */
  readonly #sent = new Map<string, Sent>();
  readonly #pending = new Set<Promise<void>>();

  constructor(client: KubeClient, options: { controller: string; instance: string; log: Logger }) {
    this.#client = client;
    this.#controller = options.controller;
    this.#instance = options.instance.slice(0, 128);
    this.#log = options.log;
  }

  /** Records an event about `regarding` in the background. */
  record(regarding: KubeObject, event: EventRecord): void {
    const p = this.#send(regarding, event).catch((error: unknown) =>
      this.#log.warn(
        { err: error instanceof Error ? error.message : String(error), reason: event.reason },
        'could not record event',
      ),
    );
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  /** Waits for the events in flight (at shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.#pending]);
  }

  async #send(regarding: KubeObject, event: EventRecord): Promise<void> {
    const meta = regarding.metadata ?? {};
    const namespace = meta.namespace ?? 'default';
    const note = event.note.length > MAX_NOTE ? `${event.note.slice(0, MAX_NOTE - 1)}…` : event.note;
    const key = JSON.stringify([meta.uid, event.type, event.reason, event.action, note]);
    const now = new Date();
    const previous = this.#sent.get(key);
    if (previous && now.getTime() - previous.at < SERIES_WINDOW_MS) {
      previous.count++;
      previous.at = now.getTime();
      await this.#client.request(
        'PATCH',
        `/apis/events.k8s.io/v1/namespaces/${previous.namespace}/events/${previous.name}`,
        {
          body: { series: { count: previous.count, lastObservedTime: microTime(now) } },
          contentType: 'application/merge-patch+json',
        },
      );
      return;
    }
    const name = `${meta.name}.${now.getTime().toString(16)}${randomBytes(4).toString('hex')}`;
    await this.#client.request('POST', `/apis/events.k8s.io/v1/namespaces/${namespace}/events`, {
      body: {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name, namespace },
        eventTime: microTime(now),
        reportingController: this.#controller,
        reportingInstance: this.#instance,
        action: event.action,
        reason: event.reason,
        type: event.type,
        note,
        regarding: {
          apiVersion: regarding.apiVersion,
          kind: regarding.kind,
          name: meta.name,
          namespace: meta.namespace,
          uid: meta.uid,
          resourceVersion: meta.resourceVersion,
        },
      },
    });
    this.#sent.delete(key);
    this.#sent.set(key, { name, namespace, count: 1, at: now.getTime() });
    if (this.#sent.size > CACHE_SIZE) this.#sent.delete(this.#sent.keys().next().value as string);
  }
}
