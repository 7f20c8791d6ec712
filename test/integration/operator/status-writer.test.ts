// Status writes converge on the real API server: a key removed deep inside the status is removed
// there too, so the next reconcile finds nothing to write.
import { describe, expect, it } from 'vitest';
import { API_VERSION } from '../../../operator/api/group.ts';
import type { ModelVersion } from '../../../operator/api/model-version.ts';
import { KubeClient } from '../../../operator/runtime/kube-client.ts';
import { writeStatusIfChanged } from '../../../operator/runtime/status-writer.ts';
import { kc, useNamespace } from '../api/cluster.ts';
import { modelVersion } from '../api/minimal-objects.ts';

const namespace = useNamespace('status-writer');

describe('writeStatusIfChanged', () => {
  it('removes a nested status key, after which a second call makes no write', async () => {
    const writes: string[] = [];
    const client = new KubeClient(kc, (method, code, _seconds, path) => {
      if (method !== 'GET') writes.push(`${method} ${path} ${code}`);
    });
    const collection = `/apis/${API_VERSION}/namespaces/${namespace.name}/modelversions`;
    const created = await client.request<ModelVersion>('POST', collection, {
      body: { ...modelVersion('nested', 1), metadata: { name: 'nested-v1', namespace: namespace.name } },
    });
    const path = `${collection}/nested-v1`;
    const first = await writeStatusIfChanged<ModelVersion>(client, path, created, {
      metrics: { accuracy: 0.9, loss: 0.25 },
      keyMetric: 'accuracy=0.9',
    });
    expect(first?.status?.metrics).toEqual({ accuracy: 0.9, loss: 0.25 });
    writes.length = 0;

    // The reconcile that drops a metric.
    const desired = { metrics: { accuracy: 0.9 }, keyMetric: 'accuracy=0.9' };
    const second = await writeStatusIfChanged<ModelVersion>(client, path, first as ModelVersion, desired);
    expect(writes).toHaveLength(1);
    expect(second?.status?.metrics).toEqual({ accuracy: 0.9 });
    const stored = await client.request<ModelVersion>('GET', path);
    expect(stored.status).toEqual(desired);

    // The next reconcile, from what the server now holds, finds nothing to write.
    writes.length = 0;
    expect(await writeStatusIfChanged<ModelVersion>(client, path, stored, desired)).toBeUndefined();
    expect(
      await writeStatusIfChanged<ModelVersion>(client, path, second as ModelVersion, desired),
    ).toBeUndefined();
    expect(writes).toEqual([]);
  });
});
