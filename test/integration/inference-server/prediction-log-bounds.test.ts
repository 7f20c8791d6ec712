// The prediction log's bounds on the real PostgreSQL: feedback writes only the prediction it names
// (never the queue before it) and does not take prediction slots, the queue's byte limit counts the
// rows' JSON, and every wait on the database ends: a statement past its timeout and a server that
// never answers fail a feedback call with 503 instead of holding it.
import { createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HostTensor } from '../../../images/inference-server/datatypes.ts';
import { PredictionLog } from '../../../images/inference-server/prediction-log.ts';
import { inferRows } from '../../../images/inference-server/prediction-rows.ts';
import { tabularClassifier } from '../../unit/inference-server/test-models.ts';
import { postgresClient } from '../clients.ts';
import { heldRequest, inFlight, postJson, type Served, serve } from './helpers.ts';

const quiet = pino({ level: 'silent' });
const uniqueTable = (name: string) =>
  `bounds_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}.${name}`;
let db: pg.Client;
beforeAll(async () => {
  db = postgresClient();
  await db.connect();
});
afterAll(() => db?.end());

/** A logged row of a one-row request to model `model`, whose output JSON is about `outputBytes`. */
function entry(model: string, outputBytes = 10) {
  const x: HostTensor = { datatype: 'FP32', shape: [1, 1], data: Float32Array.from([1]) };
  const label: HostTensor = { datatype: 'BYTES', shape: [1], data: ['l'.repeat(outputBytes)] };
  const [row] = inferRows({ model, modelVersion: '1', requestId: 'r' }, { x }, { label }, true).rows;
  if (!row) throw new Error('no row');
  return { row };
}

async function count(table: string, model: string): Promise<number> {
  const result = await db.query(`SELECT count(*)::int AS n FROM ${table} WHERE model = $1`, [model]);
  return (result.rows[0] as { n: number }).n;
}

function directLog(table: string, options: Partial<ConstructorParameters<typeof PredictionLog>[0]> = {}) {
  const depths: number[] = [];
  const dropped: string[] = [];
  const log = new PredictionLog({
    pool: new pg.Pool({ connectionString: inject('environment').postgres.url, max: 2 }),
    table,
    namespace: 'default',
    maxQueue: 10_000,
    // Nothing is written in the background unless a test flushes.
    batchSize: 10_000,
    flushIntervalMs: 600_000,
    log: quiet,
    observer: {
      written: () => undefined,
      dropped: (n, reason) => dropped.push(...Array<string>(n).fill(reason)),
      queueDepth: (n) => depths.push(n),
    },
    ...options,
  });
  return { log, depths, dropped };
}

describe('feedback', () => {
  it('writes only the queued prediction it names, leaving the rest of the queue queued', async () => {
    const table = uniqueTable('queue');
    const { log, depths } = directLog(table);
    try {
      expect(await log.ensureTable()).toBe(true);
      const entries = Array.from({ length: 50 }, () => entry('queued'));
      for (const e of entries) expect(log.record(e)).toBe(true);
      const named = entries[30]?.row.id as string;
      const result = await log.feedback(named, 'truth');
      expect(result).toMatchObject({ id: named, label: 'truth', verified: true });
      expect(await count(table, 'queued')).toBe(1);
      expect(depths.at(-1)).toBe(49);
      await log.flush();
      expect(await count(table, 'queued')).toBe(50);
      expect(depths.at(-1)).toBe(0);
    } finally {
      await log.close();
    }
  });

  it('waits for the batch being written when the prediction is in it', async () => {
    const table = uniqueTable('writing');
    const { log, depths } = directLog(table);
    try {
      const entries = Array.from({ length: 20 }, () => entry('writing'));
      for (const e of entries) log.record(e);
      const flushed = log.flush();
      // The loop takes its batch in a microtask, long before the batch's write can finish.
      await null;
      expect(depths.at(-1)).toBe(0);
      const named = entries[5]?.row.id as string;
      expect(await log.feedback(named, 'truth')).toMatchObject({ id: named, verified: true });
      await flushed;
      expect(await count(table, 'writing')).toBe(20);
    } finally {
      await log.close();
    }
  });

  it('and the loop create a missing table once when their writes race to it', async () => {
    const table = uniqueTable('race');
    const { log, dropped } = directLog(table);
    try {
      const [first, second] = [entry('race'), entry('race')];
      log.record(first);
      log.record(second);
      // The feedback writes its own row while the loop writes the other: both need the table.
      const [result] = await Promise.all([log.feedback(second.row.id, 'truth'), log.flush()]);
      expect(result).toMatchObject({ id: second.row.id, verified: true });
      expect(await count(table, 'race')).toBe(2);
      expect(dropped).toEqual([]);
    } finally {
      await log.close();
    }
  });

  it('answers while predictions fill the concurrency cap: it has a cap of its own', async () => {
    const s = await serve('iris', tabularClassifier(4), {
      BOSUN_PREDICTION_LOG_URL: inject('environment').postgres.url,
      BOSUN_PREDICTION_LOG_TABLE: uniqueTable('cap'),
      BOSUN_MAX_CONCURRENCY: '1',
    });
    try {
      const request = { inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] };
      const logged = await postJson(`${s.url}/v2/models/iris/infer`, request);
      const id = (logged.body.parameters as { prediction_id: string }).prediction_id;
      const held = heldRequest(`${s.url}/v2/models/iris/infer`, JSON.stringify(request));
      await inFlight(s.url, 1);
      expect((await postJson(`${s.url}/v2/models/iris/infer`, request)).status).toBe(503);
      const feedback = await postJson(`${s.url}/v2/models/iris/predictions/${id}/feedback`, {
        label: 'setosa',
      });
      expect(feedback.status, JSON.stringify(feedback.body)).toBe(200);
      expect(feedback.body).toMatchObject({ id, label: 'setosa', verified: true });
      expect((await held.finish()).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});

describe('the queue', () => {
  it('counts the rows’ JSON in its byte limit', async () => {
    const { log, dropped } = directLog(uniqueTable('bytes'), { maxQueueBytes: 10_000 });
    try {
      expect(log.record(entry('bytes', 4000))).toBe(true);
      expect(log.record(entry('bytes', 4000))).toBe(true);
      expect(log.record(entry('bytes', 4000))).toBe(false);
      // A small row still fits.
      expect(log.record(entry('bytes', 10))).toBe(true);
      expect(dropped).toEqual(['queue_full']);
    } finally {
      await log.close();
    }
  });
});

describe('database timeouts', () => {
  it('fails feedback with 503 when its statement runs past the statement timeout', async () => {
    const table = uniqueTable('slow');
    const s = await serve('iris', tabularClassifier(4), {
      BOSUN_PREDICTION_LOG_URL: inject('environment').postgres.url,
      BOSUN_PREDICTION_LOG_TABLE: table,
      BOSUN_PREDICTION_LOG_STATEMENT_TIMEOUT_SECONDS: '1',
    });
    const locker = postgresClient();
    await locker.connect();
    try {
      const logged = await postJson(`${s.url}/v2/models/iris/infer`, {
        inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }],
      });
      const id = (logged.body.parameters as { prediction_id: string }).prediction_id;
      const url = `${s.url}/v2/models/iris/predictions/${id}/feedback`;
      // Written in the background first, so that only the feedback's own UPDATE meets the lock.
      for (let i = 0; i < 100 && (await count(table, 'iris')) === 0; i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(await count(table, 'iris')).toBe(1);
      // A lock held elsewhere keeps the UPDATE waiting until the timeout cancels it.
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
      const refused = await postJson(url, { label: 'setosa' });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(refused.body.error).toBe('the prediction log is unavailable; try again later');
      await locker.query('ROLLBACK');
      expect((await postJson(url, { label: 'setosa' })).status).toBe(200);
    } finally {
      await locker.end();
      await s.close();
    }
  });

  it('neither holds the start nor a feedback call when the database never answers', async () => {
    // Accepts connections and never says a word, as a hung database or a black-holed route does.
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    let s: Served | undefined;
    try {
      s = await serve('iris', tabularClassifier(4), {
        BOSUN_PREDICTION_LOG_URL: `postgres://bosun:secret@127.0.0.1:${port}/predictions`,
        BOSUN_PREDICTION_LOG_CONNECT_TIMEOUT_SECONDS: '1',
      });
      const answer = await postJson(`${s.url}/v2/models/iris/infer`, {
        inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }],
      });
      expect(answer.status).toBe(200);
      const id = (answer.body.parameters as { prediction_id: string }).prediction_id;
      const feedback = await postJson(`${s.url}/v2/models/iris/predictions/${id}/feedback`, {
        label: 'setosa',
      });
      expect(feedback.status).toBe(503);
      expect(feedback.body.error).toBe('the prediction log is unavailable; try again later');
      expect(sockets.length).toBeGreaterThan(0);
    } finally {
      await s?.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
