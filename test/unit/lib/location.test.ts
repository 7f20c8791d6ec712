import { describe, expect, it } from 'vitest';
import { type LocationScope, type LocationSpec, locate } from '../../../lib/store/location.ts';

const tenancy = { namespace: 'ml', operatorBucket: 'bosun' };
const at = (uri: string, extra: Omit<LocationSpec, 'uri'> = {}) => ({ uri, ...extra });

describe('locate', () => {
  it.each<[LocationScope, string, string]>([
    ['object', 's3://bosun/models/ml/m/1/model.onnx', 'models/ml/m/1/model.onnx'],
    ['prefix', 's3://bosun/imports/ml/gold', 'imports/ml/gold/'],
    ['prefix', 's3://bosun/datasets/ml/pets/', 'datasets/ml/pets/'],
    ['keyBase', 's3://bosun/', ''],
    ['keyBase', 's3://bosun/objects/', 'objects/'],
    ['keyBase', 's3://bosun/imports/ml/', 'imports/ml/'],
    ['keyBase', 's3://bosun/imports/ml/served/', 'imports/ml/served/'],
  ])('a %s in the namespace: %s', (scope, uri, key) => {
    expect(locate('spec.x', at(uri), scope, tenancy)).toEqual({ ok: true, bucket: 'bosun', key, own: true });
  });

  it.each<[LocationScope, string]>([
    ['object', 's3://bosun/models/ml2/m/1/model.onnx'],
    ['object', 's3://bosun/models/ml'],
    ['prefix', 's3://bosun/'],
    ['prefix', 's3://bosun/imports/ml/'],
    ['prefix', 's3://bosun/imports/'],
    ['prefix', 's3://bosun/imports/other/gold/'],
    ['keyBase', 's3://bosun/gold/'],
    ['keyBase', 's3://bosun/objects/other/'],
    ['keyBase', 's3://bosun/imports/mlx/'],
  ])("a %s outside the namespace's prefixes: %s", (scope, uri) => {
    const located = locate('spec.x', at(uri), scope, tenancy);
    expect(located).toMatchObject({ ok: false, problem: 'outsideNamespace' });
    if (located.ok) return;
    expect(located.message).toContain('spec.x.uri must');
    expect(located.message).toContain('imports/ml/');
    // Names only the namespace's own prefixes, never the location refused or whether it exists.
    expect(located.message).not.toMatch(/other|ml2|mlx|gold|exist/);
  });

  it.each<[LocationScope, string, string]>([
    ['object', 's3://bosun', 'must be s3://<bucket>/<key>'],
    ['object', 's3://bosun/', 'names a prefix, not a file'],
    ['object', 's3://bosun/models/ml/m/', 'names a prefix, not a file'],
    ['object', 's3://bosun/models/ml/../x/m.onnx', 'invalid path segment ".."'],
    ['prefix', 's3://bosun', 'must be s3://<bucket>/<prefix>/'],
    ['prefix', 'https://bosun/imports/ml/', 'must be s3://<bucket>/<prefix>/'],
    ['prefix', 's3:///imports/ml/', 'invalid bucket ""'],
    ['prefix', 's3://bo..sun/imports/ml/', 'invalid bucket "bo..sun"'],
    ['prefix', 's3://bosun//imports/ml/', 'must not start with "/"'],
    ['prefix', 's3://bosun/imports/ml//gold/', 'empty path segment'],
    ['keyBase', 's3://bosun/imports/ml/%2e%2e/', 'invalid path segment "%2e%2e"'],
    ['keyBase', 's3://bosun/imports/ml/.hidden/', 'invalid path segment ".hidden"'],
  ])('a %s that does not parse into key segments: %s', (scope, uri, message) => {
    const located = locate('spec.x', at(uri), scope, tenancy);
    expect(located).toMatchObject({ ok: false, problem: 'invalid' });
    if (!located.ok) expect(located.message).toContain(message);
  });

  it('refuses an endpoint that is no URL', () => {
    expect(
      locate(
        'spec.x',
        at('s3://lab/x/', { endpoint: 'http://[lab]', credentialsSecret: { name: 's' } }),
        'prefix',
        tenancy,
      ),
    ).toEqual({ ok: false, problem: 'invalid', message: 'spec.x.endpoint is not a URL' });
  });

  it('reads another bucket, or its own bucket name in another store, only with a Secret', () => {
    for (const location of [
      at('s3://partner/gold/'),
      at('s3://bosun/imports/ml/', { endpoint: 'https://s3.example.com' }),
    ]) {
      const located = locate('spec.gold', location, 'prefix', tenancy);
      expect(located).toMatchObject({ ok: false, problem: 'credentialsRequired' });
      if (!located.ok)
        expect(located.message).toContain('set spec.gold.credentialsSecret to a Secret in namespace ml');
    }
    expect(
      locate(
        'spec.gold',
        at('s3://partner/', { endpoint: 'https://s3.example.com', credentialsSecret: { name: 'p' } }),
        'prefix',
        tenancy,
      ),
    ).toEqual({
      ok: true,
      bucket: 'partner',
      key: '',
      own: false,
      credentialsSecret: 'p',
      endpoint: 'https://s3.example.com',
    });
  });
});
