import { describe, expect, it } from 'vitest';
import { Backoff, watchBackoff } from '../../../operator/runtime/backoff.ts';
import { setCondition } from '../../../operator/runtime/conditions.ts';
import { deepEqual } from '../../../operator/runtime/deep-equal.ts';
import { addFinalizerPatch, removeFinalizerPatch } from '../../../operator/runtime/finalizers.ts';
import { parseBindAddress } from '../../../operator/runtime/http-endpoints.ts';
import { resourceOf } from '../../../operator/runtime/metrics.ts';
import { ObjectCache } from '../../../operator/runtime/object-cache.ts';
import { FakeClock } from './fake-clock.ts';

describe('setCondition', () => {
  const t0 = new Date('2026-01-01T00:00:00.123Z');
  const t1 = new Date('2026-01-01T01:00:00Z');

  it('keeps lastTransitionTime while the status stays, even when reason and message change', () => {
    const first = setCondition(
      undefined,
      { type: 'Ready', status: 'False', reason: 'Verifying', message: 'a', observedGeneration: 1 },
      t0,
    );
    expect(first).toEqual([
      {
        type: 'Ready',
        status: 'False',
        reason: 'Verifying',
        message: 'a',
        observedGeneration: 1,
        lastTransitionTime: '2026-01-01T00:00:00Z',
      },
    ]);
    const same = setCondition(
      first,
      { type: 'Ready', status: 'False', reason: 'ArtifactNotFound', message: 'b' },
      t1,
    );
    expect(same[0]?.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
    expect(same[0]?.reason).toBe('ArtifactNotFound');
    const flipped = setCondition(
      same,
      { type: 'Ready', status: 'True', reason: 'Verified', message: 'c' },
      t1,
    );
    expect(flipped[0]?.lastTransitionTime).toBe('2026-01-01T01:00:00Z');
  });

  it('does not change its input and keeps other conditions in place', () => {
    const list = setCondition(
      setCondition([], { type: 'A', status: 'True', reason: 'X', message: '' }, t0),
      { type: 'B', status: 'True', reason: 'Y', message: '' },
      t0,
    );
    const copy = structuredClone(list);
    const next = setCondition(list, { type: 'A', status: 'False', reason: 'Z', message: '' }, t1);
    expect(list).toEqual(copy);
    expect(next.map((c) => c.type)).toEqual(['A', 'B']);
  });

  it('refuses a reason that is not CamelCase', () => {
    expect(() =>
      setCondition([], { type: 'Ready', status: 'True', reason: 'not ok', message: '' }, t0),
    ).toThrow(/invalid condition reason/);
  });
});

describe('finalizer patches', () => {
  it('adds the list when there is none, guarded by the resourceVersion', () => {
    expect(addFinalizerPatch({ metadata: { resourceVersion: '7' } }, 'bosun.dev/x')).toEqual([
      { op: 'test', path: '/metadata/resourceVersion', value: '7' },
      { op: 'add', path: '/metadata/finalizers', value: ['bosun.dev/x'] },
    ]);
    expect(
      addFinalizerPatch({ metadata: { resourceVersion: '8', finalizers: ['other'] } }, 'bosun.dev/x')[1],
    ).toEqual({
      op: 'add',
      path: '/metadata/finalizers/-',
      value: 'bosun.dev/x',
    });
  });

  it('removes only our entry, tested at its index', () => {
    expect(
      removeFinalizerPatch({ metadata: { finalizers: ['a', 'bosun.dev/x', 'b'] } }, 'bosun.dev/x'),
    ).toEqual([
      { op: 'test', path: '/metadata/finalizers/1', value: 'bosun.dev/x' },
      { op: 'remove', path: '/metadata/finalizers/1' },
    ]);
    expect(removeFinalizerPatch({ metadata: { finalizers: ['a'] } }, 'bosun.dev/x')).toBeUndefined();
  });
});

describe('ObjectCache', () => {
  it('drops managedFields, keys by namespace/name and keeps indexes current', () => {
    const cache = new ObjectCache<{
      metadata: { name: string; namespace: string; managedFields?: object[] };
      spec: { uri: string };
    }>();
    cache.addIndex('uri', (o) => [o.spec.uri]);
    cache.set({ metadata: { name: 'a', namespace: 'n', managedFields: [{}] }, spec: { uri: 'x' } });
    cache.set({ metadata: { name: 'b', namespace: 'n' }, spec: { uri: 'x' } });
    expect(cache.get('n/a')?.metadata.managedFields).toBeUndefined();
    expect(cache.byIndex('uri', 'x').sort()).toEqual(['n/a', 'n/b']);
    cache.set({ metadata: { name: 'a', namespace: 'n' }, spec: { uri: 'y' } });
    expect(cache.byIndex('uri', 'x')).toEqual(['n/b']);
    cache.delete('n/b');
    expect(cache.byIndex('uri', 'x')).toEqual([]);
    expect(cache.size).toBe(1);
  });
});

describe('ObjectCache.setIfUnchanged', () => {
  it('stores our write only if the watch has not moved the object on meanwhile', () => {
    const cache = new ObjectCache<{
      metadata: { name: string; namespace: string; resourceVersion: string };
    }>();
    const at = (rv: string) => ({ metadata: { name: 'a', namespace: 'n', resourceVersion: rv } });
    cache.set(at('1'));
    expect(cache.setIfUnchanged('1', at('2'))).toBe(true);
    expect(cache.get('n/a')?.metadata.resourceVersion).toBe('2');
    // The watch delivered 3 (a user's change after our write) before our write's answer (2) came.
    cache.set(at('3'));
    expect(cache.setIfUnchanged('1', at('2'))).toBe(false);
    expect(cache.get('n/a')?.metadata.resourceVersion).toBe('3');
  });
});

describe('watch backoff', () => {
  it('grows from 0.8 s to a 30 s cap with jitter, and resets after 2 min without failures', () => {
    const clock = new FakeClock();
    const backoff = new Backoff(watchBackoff, clock, () => 0);
    const delays = Array.from({ length: 8 }, () => backoff.nextDelay());
    expect(delays).toEqual([800, 1600, 3200, 6400, 12800, 25600, 30000, 30000]);
    clock.advance(120_000);
    expect(backoff.nextDelay()).toBe(800);
    const jittered = new Backoff(watchBackoff, clock, () => 0.5);
    expect(jittered.nextDelay()).toBe(1200);
  });

  it('starts over from 0.8 s after reset()', () => {
    const backoff = new Backoff(watchBackoff, new FakeClock(), () => 0);
    expect([backoff.nextDelay(), backoff.nextDelay(), backoff.nextDelay()]).toEqual([800, 1600, 3200]);
    backoff.reset();
    expect([backoff.nextDelay(), backoff.nextDelay()]).toEqual([800, 1600]);
  });
});

describe('deepEqual', () => {
  it('ignores key order and undefined keys, not values', () => {
    expect(deepEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1, d: undefined })).toBe(true);
    expect(deepEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(deepEqual({ a: 1 }, { a: '1' })).toBe(false);
  });
});

describe('parseBindAddress', () => {
  it('reads controller-runtime style addresses', () => {
    expect(parseBindAddress(':8080')).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(parseBindAddress('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseBindAddress('0')).toBeUndefined();
    expect(() => parseBindAddress(':http')).toThrow(/invalid bind address/);
  });
});

describe('resourceOf', () => {
  it('names the resource of an API path, with its subresource', () => {
    expect(resourceOf('/apis/coordination.k8s.io/v1/namespaces/x/leases/bosun-operator')).toBe('leases');
    expect(resourceOf('/apis/bosun.dev/v1alpha1/namespaces/x/modelversions/m-v1/status')).toBe(
      'modelversions/status',
    );
    expect(resourceOf('/apis/bosun.dev/v1alpha1/modelversions')).toBe('modelversions');
    expect(resourceOf('/api/v1/namespaces/x/pods?labelSelector=a')).toBe('pods');
    expect(resourceOf('/api/v1/namespaces')).toBe('namespaces');
  });
});
