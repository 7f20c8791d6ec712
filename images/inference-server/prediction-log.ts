// The prediction log: every prediction goes into a queue bounded by count and bytes (images and the
// rows' JSON) that a background loop writes to PostgreSQL in batches (input images first, to the
// bucket under their content address). A request never waits for it; when the queue is full or a
// write fails, entries are dropped and counted. Feedback writes only the prediction it names.
import type pg from 'pg';
import type { ArtifactStore } from '../../lib/store/client.ts';
import type { Logger } from './log.ts';
import {
  createTableStatements,
  feedbackStatement,
  insertStatement,
  type PredictionRow,
} from './prediction-table.ts';

export interface LogEntry {
  row: PredictionRow;
  /** The uploaded image, stored as a blob when inputs are stored. */
  image?: Buffer;
}

export interface PredictionLogObserver {
  written(n: number): void;
  dropped(n: number, reason: 'queue_full' | 'write_failed'): void;
  queueDepth(n: number): void;
}

export interface PredictionLogOptions {
  pool: pg.Pool;
  table: string;
  /** Set when input images are stored in the bucket. */
  store?: ArtifactStore;
  /** The namespace whose blobs the input images are stored as. */
  namespace: string;
  maxQueue: number;
  /** Images and rows waiting in the queue hold memory; the queue is bounded by bytes too. */
  maxQueueBytes?: number;
  batchSize?: number;
  flushIntervalMs?: number;
  log: Logger;
  observer?: PredictionLogObserver;
}

export interface FeedbackResult {
  id: string;
  label: string;
  predictedLabel: string | null;
  verified: boolean;
  verifiedAt: Date;
}

interface Queued {
  entry: LogEntry;
  /** About the memory the entry holds: its image and its row's JSON text. */
  bytes: number;
}

const bytesOf = (entry: LogEntry) =>
  (entry.image?.length ?? 0) + entry.row.outputJson.length + (entry.row.inputJson?.length ?? 0);

export class PredictionLog {
  readonly #o: Required<Omit<PredictionLogOptions, 'store' | 'observer'>> & PredictionLogOptions;
  #queue: Queued[] = [];
  #queueBytes = 0;
  /** The table's creation: one attempt at a time (concurrent IF NOT EXISTS statements can collide). */
  #table: Promise<boolean> | undefined;
  /** The background loop's writes, one batch at a time; they never overlap each other. */
  #writing: Promise<void> = Promise.resolve();
  /** The batch the loop is writing: feedback on one of its rows waits for it (and nothing else). */
  #current: { ids: Set<string>; done: Promise<boolean> } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: PredictionLogOptions) {
    this.#o = { maxQueueBytes: 64 * 1024 * 1024, batchSize: 200, flushIntervalMs: 200, ...options };
  }

  /** Creates the table if missing. Failures are logged; writes retry it. */
  ensureTable(): Promise<boolean> {
    this.#table ??= (async () => {
      try {
        for (const statement of createTableStatements(this.#o.table)) await this.#o.pool.query(statement);
        return true;
      } catch (e) {
        this.#o.log.error(
          { err: (e as Error).message, table: this.#o.table },
          'cannot create the prediction log table',
        );
        this.#table = undefined;
        return false;
      }
    })();
    return this.#table;
  }

  /** Queues one prediction; false when it was dropped because the queue is full. */
  record(entry: LogEntry): boolean {
    const bytes = bytesOf(entry);
    if (
      this.#closed ||
      this.#queue.length >= this.#o.maxQueue ||
      this.#queueBytes + bytes > this.#o.maxQueueBytes
    ) {
      this.#o.observer?.dropped(1, 'queue_full');
      return false;
    }
    this.#queue.push({ entry, bytes });
    this.#queueBytes += bytes;
    this.#o.observer?.queueDepth(this.#queue.length);
    if (this.#queue.length >= this.#o.batchSize) this.#schedule(0);
    else this.#schedule(this.#o.flushIntervalMs);
    return true;
  }

  #schedule(delayMs: number): void {
    if (this.#timer && delayMs > 0) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, delayMs);
  }

  /** Resolves when everything queued before the call has been written (or dropped). */
  flush(): Promise<void> {
    const run = async () => {
      while (this.#queue.length > 0) {
        const taken = this.#queue.splice(0, this.#o.batchSize);
        this.#queueBytes -= taken.reduce((a, q) => a + q.bytes, 0);
        this.#o.observer?.queueDepth(this.#queue.length);
        const batch = taken.map((q) => q.entry);
        const done = this.#write(batch);
        this.#current = { ids: new Set(batch.map((e) => e.row.id)), done };
        await done;
        this.#current = undefined;
      }
    };
    this.#writing = this.#writing.then(run, run);
    return this.#writing;
  }

  /** Writes a batch; false when it failed, and its entries were dropped and counted. */
  async #write(batch: LogEntry[]): Promise<boolean> {
    try {
      if (!(await this.ensureTable())) throw new Error('the table does not exist and cannot be created');
      const { store } = this.#o;
      if (store)
        await Promise.all(
          batch.map(async (e) => {
            if (e.image) e.row.objectKey = (await store.putBlob(this.#o.namespace, e.image)).key;
          }),
        );
      const statement = insertStatement(
        this.#o.table,
        batch.map((e) => e.row),
      );
      await this.#o.pool.query(statement.text, statement.values);
      this.#o.observer?.written(batch.length);
      return true;
    } catch (e) {
      this.#o.observer?.dropped(batch.length, 'write_failed');
      this.#o.log.error({ err: (e as Error).message, dropped: batch.length }, 'prediction log write failed');
      return false;
    }
  }

  /** Records the true label of a prediction; undefined when no such prediction is logged. */
  async feedback(id: string, label: string): Promise<FeedbackResult | undefined> {
    await this.#written(id);
    const statement = feedbackStatement(this.#o.table, id, label);
    const result = await this.#o.pool.query(statement.text, statement.values);
    const row = result.rows[0] as
      | { id: string; label: string; predicted_label: string | null; verified: boolean; verified_at: Date }
      | undefined;
    if (!row) return undefined;
    return {
      id: row.id,
      label: row.label,
      predictedLabel: row.predicted_label,
      verified: row.verified,
      verifiedAt: row.verified_at,
    };
  }

  /**
   * Makes sure prediction `id`, if it was logged, is in the table: one still queued is written on
   * its own now, one in the batch being written waits for that batch. Feedback never waits for the
   * rest of the queue. Throws when the prediction's write failed.
   */
  async #written(id: string): Promise<void> {
    const at = this.#queue.findIndex((q) => q.entry.row.id === id);
    if (at >= 0) {
      const [queued] = this.#queue.splice(at, 1) as [Queued];
      this.#queueBytes -= queued.bytes;
      this.#o.observer?.queueDepth(this.#queue.length);
      if (!(await this.#write([queued.entry])))
        throw new Error('the prediction could not be written to the log');
      return;
    }
    const current = this.#current;
    if (current?.ids.has(id) && !(await current.done))
      throw new Error('the batch holding the prediction could not be written to the log');
  }

  /** Writes what is queued, refuses new entries, and closes the connections. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.flush();
    await this.#o.pool.end();
  }
}
