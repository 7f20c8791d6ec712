// Dynamic batching: a request that finds the model idle runs at once; concurrent requests that
// arrive while a run is in flight are merged into one model run up to the batch size, and each gets
// exactly the answer it would have got alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fixedBatchModel,
  imageClassifier,
  seeded,
  tabularClassifier,
} from '../../unit/inference-server/test-models.ts';
import { pipelined, postJson, type Served, serve } from './helpers.ts';

const model = tabularClassifier(8, 5);
let batched: Served;
let alone: Served;
beforeAll(async () => {
  batched = await serve('iris', model, { BOSUN_MAX_BATCH_SIZE: '16', BOSUN_BATCH_WINDOW_MS: '20' });
  alone = await serve('iris', model, { BOSUN_MAX_BATCH_SIZE: '1' });
});
afterAll(async () => {
  await batched?.close();
  await alone?.close();
});

function requests(count: number, seed: number) {
  const random = seeded(seed);
  return Array.from({ length: count }, (_, i) => {
    const rows = 1 + (i % 3);
    return {
      id: `r${i}`,
      inputs: [
        {
          name: 'x',
          shape: [rows, 8],
          datatype: 'FP32',
          data: Array.from({ length: rows * 8 }, () => Math.fround(random() * 10 - 5)),
        },
      ],
    };
  });
}

/** Model runs and rows so far, from the batch size histogram (absent before the first run). */
const batchMetrics = async (url: string, model = 'iris') => {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string) =>
    Number(new RegExp(`^${name}\\{model="${model}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { runs: value('bosun_inference_batch_size_count'), rows: value('bosun_inference_batch_size_sum') };
};

describe('dynamic batching', () => {
  it('announces its batch size in the model metadata', async () => {
    const meta = (await (await fetch(`${batched.url}/v2/models/iris`)).json()) as {
      parameters: { max_batch_size: number };
    };
    expect(meta.parameters.max_batch_size).toBe(16);
  });

  it('merges concurrent requests and answers each exactly as an unbatched run', async () => {
    const before = await batchMetrics(batched.url);
    const sent = requests(48, 9);
    const together = await pipelined(batched.url, '/v2/models/iris/infer', sent);
    const separately = [];
    for (const r of sent) separately.push(await postJson(`${alone.url}/v2/models/iris/infer`, r));
    for (const [i, answer] of together.entries()) {
      expect(answer.status).toBe(200);
      expect(answer.body.id).toBe(`r${i}`);
      expect(answer.body.outputs).toEqual(separately[i]?.body.outputs);
    }
    const after = await batchMetrics(batched.url);
    const rows = sent.reduce((a, r) => a + (r.inputs[0]?.shape[0] as number), 0);
    expect(after.rows - before.rows).toBe(rows);
    // Fewer runs than requests: the ones that arrived while the first ran were merged (each run
    // holds at most 16 rows).
    expect(after.runs - before.runs).toBeLessThan(sent.length);
    expect(after.runs - before.runs).toBeGreaterThanOrEqual(Math.ceil(rows / 16));
  });

  it('runs a request that finds the model idle at once instead of waiting out the window', async () => {
    const windowMs = 10_000;
    const patient = await serve('iris', model, {
      BOSUN_MAX_BATCH_SIZE: '16',
      BOSUN_BATCH_WINDOW_MS: String(windowMs),
    });
    try {
      const before = await batchMetrics(patient.url);
      const sent = requests(5, 4);
      for (const r of sent) {
        const started = performance.now();
        const answer = await postJson(`${patient.url}/v2/models/iris/infer`, r);
        // Had it waited for others, it could not have been answered before the window closed.
        expect(performance.now() - started).toBeLessThan(windowMs);
        expect(answer.status).toBe(200);
        expect(answer.body.outputs).toEqual(
          (await postJson(`${alone.url}/v2/models/iris/infer`, r)).body.outputs,
        );
      }
      // One run per request, each holding only that request's rows.
      const after = await batchMetrics(patient.url);
      expect(after.runs - before.runs).toBe(sent.length);
      expect(after.rows - before.rows).toBe(sent.reduce((a, r) => a + (r.inputs[0]?.shape[0] as number), 0));
    } finally {
      await patient.close();
    }
  });

  it('runs requests with different row shapes side by side without mixing them', async () => {
    const sent = requests(10, 3).map((r, i) => (i % 2 ? r : { ...r, outputs: [{ name: 'label' }] }));
    const answers = await pipelined(batched.url, '/v2/models/iris/infer', sent);
    for (const [i, a] of answers.entries()) {
      expect(a.status).toBe(200);
      const alone = await postJson(`${batched.url}/v2/models/iris/infer`, sent[i]);
      expect(a.body.outputs).toEqual(alone.body.outputs);
      expect((a.body.outputs as unknown[]).length).toBe(i % 2 ? 2 : 1);
    }
  });

  it('serves a model without an open batch dimension one request at a time', async () => {
    const fixed = await serve('fixed', fixedBatchModel(), { BOSUN_MAX_BATCH_SIZE: '16' });
    try {
      const meta = (await (await fetch(`${fixed.url}/v2/models/fixed`)).json()) as {
        parameters: { max_batch_size: number };
      };
      expect(meta.parameters.max_batch_size).toBe(0);
      const answers = await Promise.all(
        [1, 2, 3].map((v) =>
          postJson(`${fixed.url}/v2/models/fixed/infer`, {
            inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', data: [v, -v] }],
          }),
        ),
      );
      expect(answers.map((a) => (a.body.outputs as { data: number[] }[])[0]?.data)).toEqual([
        [2, -2],
        [4, -4],
        [6, -6],
      ]);
    } finally {
      await fixed.close();
    }
  });

  it('batches image tensors too, with the same answers', async () => {
    const image = imageClassifier(16, 4);
    const b = await serve('pets', image, { BOSUN_MAX_BATCH_SIZE: '8', BOSUN_BATCH_WINDOW_MS: '20' });
    const a = await serve('pets', image, { BOSUN_MAX_BATCH_SIZE: '1' });
    try {
      const random = seeded(11);
      const sent = Array.from({ length: 12 }, () => ({
        inputs: [
          {
            name: 'image',
            shape: [1, 3, 16, 16],
            datatype: 'FP32',
            data: Array.from({ length: 768 }, () => Math.floor(random() * 256)),
          },
        ],
      }));
      const together = await pipelined(b.url, '/v2/models/pets/infer', sent);
      for (const [i, r] of sent.entries()) {
        const single = await postJson(`${a.url}/v2/models/pets/infer`, r);
        expect(together[i]?.body.outputs).toEqual(single.body.outputs);
      }
      const runs = await batchMetrics(b.url, 'pets');
      expect(runs.rows).toBe(12);
      expect(runs.runs).toBeLessThan(12);
    } finally {
      await b.close();
      await a.close();
    }
  });
});
