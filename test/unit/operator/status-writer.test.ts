import { describe, expect, it } from 'vitest';
import { TerminalError } from '../../../operator/runtime/controller.ts';
import { type ApiClient, KubeApiError } from '../../../operator/runtime/kube-client.ts';
import { mergePatch, writeStatusIfChanged } from '../../../operator/runtime/status-writer.ts';

/** RFC 7386's MergePatch(target, patch), to check that a computed patch really produces `to`. */
function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const result: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

describe('mergePatch', () => {
  it('nulls a key removed at any depth and leaves unchanged siblings out', () => {
    const from = {
      metrics: { accuracy: 0.9, loss: 0.1 },
      signature: { inputs: [{ name: 'x' }] },
      keyMetric: 'a',
    };
    const to = { metrics: { accuracy: 0.9 }, signature: { inputs: [{ name: 'x' }] }, keyMetric: 'a' };
    expect(mergePatch(from, to)).toEqual({ metrics: { loss: null } });
    expect(mergePatch({ a: { b: { c: 1, d: 2 } } }, { a: { b: { c: 1 } } })).toEqual({
      a: { b: { d: null } },
    });
    expect(mergePatch({ a: { b: 1 }, c: 2 }, { c: 2 })).toEqual({ a: null });
  });

  it('replaces arrays and scalars whole, and objects that were scalars', () => {
    expect(mergePatch({ list: [1, 2, 3] }, { list: [1, 2] })).toEqual({ list: [1, 2] });
    expect(mergePatch({ list: [{ a: 1, b: 2 }] }, { list: [{ a: 1 }] })).toEqual({ list: [{ a: 1 }] });
    expect(mergePatch({ n: 1, s: 'x' }, { n: 2, s: 'x' })).toEqual({ n: 2 });
    expect(mergePatch({ v: 'x' }, { v: { a: 1 } })).toEqual({ v: { a: 1 } });
    expect(mergePatch({ v: { a: 1 } }, { v: [1] })).toEqual({ v: [1] });
    expect(mergePatch({}, { added: { a: 1 } })).toEqual({ added: { a: 1 } });
  });

  it('is undefined when nothing changes: key order, undefined and null keys do not count', () => {
    expect(mergePatch({ a: 1, b: { c: [1, { d: 2 }] } }, { b: { c: [1, { d: 2 }] }, a: 1 })).toBeUndefined();
    expect(mergePatch({ a: 1 }, { a: 1, b: undefined, c: null })).toBeUndefined();
    expect(mergePatch({ a: 1, b: undefined }, { a: 1 })).toBeUndefined();
    expect(mergePatch({}, {})).toBeUndefined();
  });

  it('turns `from` into `to` when applied as RFC 7386 says', () => {
    const cases: [unknown, unknown][] = [
      [
        { a: 1, b: { c: 2, d: { e: 3, f: [1] } }, g: 'x' },
        { b: { d: { f: [2] }, h: { i: 1 } }, g: 'y' },
      ],
      [
        { conditions: [{ type: 'Ready' }], metrics: { x: 1 } },
        { conditions: [], metrics: {} },
      ],
      [{ a: { b: 1 } }, { a: 'scalar' }],
    ];
    for (const [from, to] of cases) expect(applyMergePatch(from, mergePatch(from, to))).toEqual(to);
  });
});

describe('writeStatusIfChanged', () => {
  const recording = () => {
    const calls: { method: string; path: string; body: unknown; contentType?: string }[] = [];
    const client: ApiClient = {
      request: async <T>(
        method: string,
        path: string,
        options: { body?: unknown; contentType?: string } = {},
      ) => {
        calls.push({ method, path, body: options.body, contentType: options.contentType });
        return { metadata: { resourceVersion: '8' } } as T;
      },
    };
    return { client, calls };
  };
  const object = {
    metadata: { name: 'm', namespace: 'n', resourceVersion: '7' },
    status: { metrics: { a: 1, b: 2 } },
  };

  it('sends the merge patch guarded by the resourceVersion it was computed from', async () => {
    const { client, calls } = recording();
    await writeStatusIfChanged(client, '/apis/x/m', object, { metrics: { a: 1 } });
    expect(calls).toEqual([
      {
        method: 'PATCH',
        path: '/apis/x/m/status',
        body: { metadata: { resourceVersion: '7' }, status: { metrics: { b: null } } },
        contentType: 'application/merge-patch+json',
      },
    ]);
  });

  it('writes nothing when the status is unchanged', async () => {
    const { client, calls } = recording();
    expect(
      await writeStatusIfChanged(client, '/apis/x/m', object, { metrics: { b: 2, a: 1 } }),
    ).toBeUndefined();
    expect(calls).toEqual([]);
  });
});

describe('a status the API server refuses as invalid', () => {
  it('is a terminal error (retrying the same status cannot succeed); other failures are not', async () => {
    const obj = { metadata: { name: 'x', resourceVersion: '1' }, status: { a: 1 } };
    const refusing = (code: number): ApiClient => ({
      request: async () => {
        throw new KubeApiError(code, code === 422 ? 'Invalid' : 'Conflict', 'status.a: must be a string');
      },
    });
    await expect(writeStatusIfChanged(refusing(422), '/x', obj, { a: 2 })).rejects.toBeInstanceOf(
      TerminalError,
    );
    await expect(writeStatusIfChanged(refusing(409), '/x', obj, { a: 2 })).rejects.toBeInstanceOf(
      KubeApiError,
    );
  });
});
