// The prediction log on the real PostgreSQL and MinIO: every prediction becomes a row (input images
// stored under their content address), feedback marks rows verified, and a Dataset postgres source
// query with the default column names reads them back. A broken database never fails a request.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  IMAGE_LABELS,
  imageClassifier,
  TABULAR_LABELS,
  tabularClassifier,
} from '../../unit/inference-server/test-models.ts';
import { postgresClient } from '../clients.ts';
import { call, postJson, type Served, serve } from './helpers.ts';

const table = `log_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}.predictions`;
let db: pg.Client;
let tabular: Served;
let image: Served;
beforeAll(async () => {
  db = postgresClient();
  await db.connect();
  const env = {
    BOSUN_PREDICTION_LOG_URL: inject('environment').postgres.url,
    BOSUN_PREDICTION_LOG_TABLE: table,
  };
  tabular = await serve('iris', tabularClassifier(4), env);
  image = await serve('pets', imageClassifier(16, 4), env);
});
afterAll(async () => {
  await tabular?.close();
  await image?.close();
  await db?.end();
});

interface Row {
  id: string;
  model: string;
  model_version: string;
  request_id: string;
  object_key: string | null;
  input: Record<string, unknown> | null;
  output: Record<string, unknown>;
  predicted_label: string | null;
  label: string | null;
  confidence: number | null;
  verified: boolean;
  verified_at: Date | null;
  created_at: Date;
}

/** Rows are written asynchronously: wait until they are there. */
async function rows(ids: string[]): Promise<Row[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const result = await db.query(`SELECT * FROM ${table} WHERE id = ANY($1) ORDER BY id`, [ids]);
    if (result.rows.length === ids.length || Date.now() > deadline) return result.rows as Row[];
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the prediction log', () => {
  it('writes one row per table row of a request, with inputs, outputs, label and confidence', async () => {
    const data = [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3];
    const answer = await postJson(
      `${tabular.url}/v2/models/iris/infer`,
      {
        inputs: [{ name: 'x', shape: [2, 4], datatype: 'FP32', data }],
      },
      { 'x-request-id': 'req-logged' },
    );
    expect(answer.status).toBe(200);
    const id = (answer.body.parameters as { prediction_id: string }).prediction_id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const outputs = answer.body.outputs as { name: string; data: unknown[] }[];
    const probabilities = outputs[0]?.data as number[];
    const labels = outputs[1]?.data as string[];
    const logged = await rows([`${id}-0`, `${id}-1`]);
    expect(logged).toHaveLength(2);
    for (const [i, row] of logged.entries()) {
      expect(row).toMatchObject({
        model: 'iris',
        model_version: '1',
        request_id: 'req-logged',
        object_key: null,
        input: { x: data.slice(i * 4, i * 4 + 4).map(Math.fround) },
        output: { probabilities: probabilities.slice(i * 3, i * 3 + 3), label: labels[i] },
        predicted_label: labels[i],
        label: labels[i],
        verified: false,
        verified_at: null,
      });
      expect(row.confidence).toBeCloseTo(Math.max(...probabilities.slice(i * 3, i * 3 + 3)), 6);
    }
  });

  it('stores each input image once in the bucket under its sha256 and logs its key', async () => {
    const bytes = await sharp({ create: { width: 30, height: 20, channels: 3, background: '#3a7' } })
      .jpeg()
      .toBuffer();
    const sha = createHash('sha256').update(bytes).digest('hex');
    const answer = await call(`${image.url}/v2/models/pets/classify`, { method: 'POST', body: bytes });
    expect(answer.status).toBe(200);
    const id = answer.body.prediction_id as string;
    const [row] = await rows([id]);
    const top = (answer.body.predictions as { label: string; probability: number }[])[0];
    expect(row).toMatchObject({
      model: 'pets',
      object_key: `objects/default/sha256/${sha.slice(0, 2)}/${sha}`,
      predicted_label: top?.label,
      input: null,
    });
    expect(row?.confidence).toBeCloseTo(top?.probability as number, 6);
    expect(await image.t.store.getBlob('default', sha, bytes.length)).toEqual(bytes);
  });

  it('records feedback: the true label, verified, readable by a Dataset postgres source query', async () => {
    const since = new Date(Date.now() - 1000);
    const bytes = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#a37' } })
      .png()
      .toBuffer();
    const answer = await call(`${image.url}/v2/models/pets/classify`, { method: 'POST', body: bytes });
    const id = answer.body.prediction_id as string;
    const predicted = (answer.body.predictions as { label: string }[])[0]?.label;
    const truth = IMAGE_LABELS.find((l) => l !== predicted) as string;
    // Sent at once: the writer flushes before recording feedback, so the row is there.
    const feedback = await postJson(`${image.url}/v2/models/pets/predictions/${id}/feedback`, {
      label: truth,
    });
    expect(feedback.status, JSON.stringify(feedback.body)).toBe(200);
    expect(feedback.body).toMatchObject({ id, label: truth, predicted_label: predicted, verified: true });
    // The default column names of a Dataset postgres source: id, label, verified, confidence, object_key.
    const collected = await db.query(
      `SELECT id, label, verified, confidence, object_key FROM ${table} WHERE verified AND verified_at >= $1 AND verified_at < $2`,
      [since, new Date(Date.now() + 1000)],
    );
    expect(collected.rows).toContainEqual(expect.objectContaining({ id, label: truth, verified: true }));
  });

  it('refuses feedback that is malformed or names no logged prediction', async () => {
    const url = (id: string) => `${tabular.url}/v2/models/iris/predictions/${id}/feedback`;
    const unknown = await postJson(url('00000000-0000-4000-8000-000000000000'), { label: 'setosa' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(
      /no prediction with id 00000000-0000-4000-8000-000000000000 is logged/,
    );
    const badId = await postJson(url('drop-table'), { label: 'setosa' });
    expect(badId.status).toBe(400);
    expect(badId.body.error).toMatch(/is not a prediction id/);
    const noLabel = await postJson(url('00000000-0000-4000-8000-000000000000'), { verdict: 'setosa' });
    expect(noLabel.status).toBe(400);
    expect(noLabel.body.error).toMatch(/must be \{"label": "<the true label>"\}/);
    const notALabel = await postJson(url('00000000-0000-4000-8000-000000000000'), { label: 'tulip' });
    expect(notALabel.status).toBe(400);
    expect(notALabel.body.error).toMatch(
      new RegExp(`not one of the model's labels: ${TABULAR_LABELS.join(', ')}`),
    );
  });

  it('creates the table idempotently: a second server on the same table starts and logs', async () => {
    const again = await serve('iris', tabularClassifier(4), {
      BOSUN_PREDICTION_LOG_URL: inject('environment').postgres.url,
      BOSUN_PREDICTION_LOG_TABLE: table,
    });
    try {
      const answer = await postJson(`${again.url}/v2/models/iris/infer`, {
        inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }],
      });
      expect(await rows([(answer.body.parameters as { prediction_id: string }).prediction_id])).toHaveLength(
        1,
      );
    } finally {
      await again.close();
    }
  });

  it('never fails a request when the database is down: drops are counted', async () => {
    const broken = await serve('iris', tabularClassifier(4), {
      BOSUN_PREDICTION_LOG_URL: 'postgres://nobody:secret@127.0.0.1:1/none',
      BOSUN_PREDICTION_LOG_QUEUE: '2',
    });
    try {
      const answers = await Promise.all(
        Array.from({ length: 6 }, () =>
          postJson(`${broken.url}/v2/models/iris/infer`, {
            inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }],
          }),
        ),
      );
      for (const a of answers) expect(a.status).toBe(200);
      const deadline = Date.now() + 10_000;
      let text = '';
      while (Date.now() < deadline) {
        text = await (await fetch(`${broken.url}/metrics`)).text();
        const dropped = [
          ...text.matchAll(/^bosun_prediction_log_dropped_total\{reason="\w+"\} (\d+)$/gm),
        ].reduce((a, m) => a + Number(m[1]), 0);
        if (dropped === 6) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(text).toMatch(/bosun_prediction_log_dropped_total\{reason="queue_full"\} 4/);
      expect(text).toMatch(/bosun_prediction_log_dropped_total\{reason="write_failed"\} 2/);
      expect(text).not.toContain('secret');
    } finally {
      await broken.close();
    }
  });
});
