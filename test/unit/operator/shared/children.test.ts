import { describe, expect, it } from 'vitest';
import { applyChildren, containsDesired } from '../../../../operator/controllers/shared/children.ts';
import type { KindRef } from '../../../../operator/runtime/controller-setup.ts';
import type { KubeObject } from '../../../../operator/runtime/kube-object.ts';
import { RecordingClient } from '../recording-client.ts';

const CONFIG_MAPS: KindRef = { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', scope: 'watched' };
const path = (name: string) => `/api/v1/namespaces/ns/configmaps/${name}`;
const cm = (name: string, data: Record<string, string>, extra: Record<string, unknown> = {}): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, ...extra },
    data,
  }) as KubeObject;

describe('containsDesired', () => {
  it('ignores what the server or others added, and nothing else', () => {
    expect(
      containsDesired({ a: 1, b: { c: 2, d: 3 }, e: [{ f: 1, g: 2 }] }, { b: { c: 2 }, e: [{ f: 1 }] }),
    ).toBe(true);
    expect(containsDesired({ a: 1 }, { a: 2 })).toBe(false);
    expect(containsDesired({ e: [{ f: 1 }, { f: 2 }] }, { e: [{ f: 1 }] })).toBe(false);
    expect(containsDesired({}, { a: { b: 1 } })).toBe(false);
    expect(containsDesired({ a: 1 }, { a: 1, b: undefined })).toBe(true);
  });
});

describe('applyChildren', () => {
  it('applies what differs, leaves what matches, prunes what is no longer desired', async () => {
    const live = [cm('same', { k: 'v' }), cm('changed', { k: 'old' }), cm('stale', { k: 'v' })];
    const client = new RecordingClient(
      live.map((o) => ({ path: path(o.metadata?.name as string), object: o })),
    );
    const result = await applyChildren(client, {
      kind: CONFIG_MAPS,
      namespace: 'ns',
      desired: [cm('same', { k: 'v' }), cm('changed', { k: 'new' }), cm('added', { k: 'v' })],
      existing: live,
    });
    expect(result.applied).toEqual(['changed', 'added']);
    expect(result.pruned).toEqual(['stale']);
    expect(client.writes.map((w) => `${w.method} ${w.path}`)).toEqual([
      `PATCH ${path('changed')}`,
      `PATCH ${path('added')}`,
      `DELETE ${path('stale')}`,
    ]);
    expect(client.writes[2]?.body).toEqual({
      propagationPolicy: 'Background',
      preconditions: { uid: 'uid-stale' },
    });
    expect(client.get(path('stale'))).toBeUndefined();
    expect(result.children.map((c) => c.metadata?.name)).toEqual(['same', 'changed', 'added']);
  });

  it('costs no request when everything matches, and never prunes what is already being deleted', async () => {
    const live = [cm('a', { k: 'v' }), cm('gone', {}, { deletionTimestamp: '2026-01-01T00:00:00Z' })];
    const client = new RecordingClient();
    await applyChildren(client, {
      kind: CONFIG_MAPS,
      namespace: 'ns',
      desired: [cm('a', { k: 'v' })],
      existing: live,
    });
    expect(client.requests).toEqual([]);
  });

  it('treats a child deleted meanwhile as pruned', async () => {
    const client = new RecordingClient();
    const result = await applyChildren(client, {
      kind: CONFIG_MAPS,
      namespace: 'ns',
      desired: [],
      existing: [cm('x', {})],
    });
    expect(result.pruned).toEqual(['x']);
  });
});
