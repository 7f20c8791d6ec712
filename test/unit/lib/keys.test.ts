import { describe, expect, it } from 'vitest';
import {
  batchManifestKey,
  blobKey,
  checkTenantKey,
  goldIndexKey,
  importsPrefix,
  isTenantKey,
  joinKey,
  modelPrefix,
  parseS3Uri,
  runPrefix,
  snapshotCardKey,
  snapshotInputsKey,
  snapshotManifestKey,
  snapshotSummaryKey,
  snapshotsPrefix,
  tenantPrefixes,
} from '../../../lib/store/keys.ts';

const SHA = 'ab'.repeat(32);

describe('store key layout', () => {
  it('builds the DESIGN §2 keys', () => {
    expect(blobKey('ml', SHA)).toBe(`objects/ml/sha256/ab/${SHA}`);
    expect(importsPrefix('ml')).toBe('imports/ml/');
    expect(batchManifestKey('ml', 'pets', '20260101T0000Z-20260102T0000Z')).toBe(
      'datasets/ml/pets/batches/20260101T0000Z-20260102T0000Z.jsonl.gz',
    );
    expect(snapshotManifestKey('ml', 'pets', '2026-06', 'verified')).toBe(
      'datasets/ml/pets/snapshots/2026-06/verified.jsonl.gz',
    );
    expect(snapshotSummaryKey('ml', 'pets', '2026-06', 'full')).toBe(
      'datasets/ml/pets/snapshots/2026-06/full.json',
    );
    expect(snapshotsPrefix('ml', 'pets')).toBe('datasets/ml/pets/snapshots/');
    expect(snapshotCardKey('ml', 'pets', '20260601-000000')).toBe(
      'datasets/ml/pets/snapshots/20260601-000000/README.md',
    );
    expect(snapshotInputsKey('ml', 'pets', '20260601-000000')).toBe(
      'datasets/ml/pets/snapshots/20260601-000000/inputs.json',
    );
    expect(goldIndexKey('ml', 'pets', '20260601-000000')).toBe(
      'datasets/ml/pets/gold-index/20260601-000000.jsonl.gz',
    );
    expect(modelPrefix('ml', 'pet-classifier', 3)).toBe('models/ml/pet-classifier/3/');
    expect(runPrefix('ml', 'train-1')).toBe('runs/ml/train-1/');
    expect(joinKey('runs/ml/train-1/', 'plots/loss.png')).toBe('runs/ml/train-1/plots/loss.png');
  });

  it.each([
    () => blobKey('ml', 'AB'.repeat(32)),
    () => blobKey('../ml', SHA),
    () => importsPrefix('ML'),
    () => batchManifestKey('ml', '../etc', 'w'),
    () => batchManifestKey('ml', 'pets', '../../x'),
    () => snapshotManifestKey('ML', 'pets', '1', 'full'),
    () => snapshotManifestKey('ml', 'pets', '1', 'everything'),
    () => snapshotManifestKey('ml', 'pets', '1/2', 'full'),
    () => snapshotCardKey('ml', 'pets', '..'),
    () => snapshotsPrefix('ml', '../pets'),
    () => snapshotsPrefix('default/x', 'pets'),
    () => goldIndexKey('ml', 'pets', '1/../2'),
    () => modelPrefix('ml', 'm', 0),
    () => joinKey('runs/ml/r/', '../other/model.onnx'),
    () => joinKey('runs/ml/r/', '/abs'),
    () => joinKey('runs/ml/r', 'x'),
    () => joinKey('runs/ml/r/', '.hidden'),
  ])('refuses names that could leave their prefix (%#)', (build) => {
    expect(build).toThrow(/invalid/);
  });

  it('gives every namespace its own prefixes and keeps keys inside them', () => {
    expect(tenantPrefixes('ml')).toEqual([
      'models/ml/',
      'runs/ml/',
      'datasets/ml/',
      'objects/ml/',
      'imports/ml/',
    ]);
    expect(isTenantKey('ml', `objects/ml/sha256/ab/${SHA}`)).toBe(true);
    expect(isTenantKey('ml', 'imports/ml/gold/pets/')).toBe(true);
    expect(isTenantKey('ml', `objects/other/sha256/ab/${SHA}`)).toBe(false);
    // A namespace whose name extends another's is not inside it.
    expect(isTenantKey('ml', 'models/ml-prod/m/1/model.onnx')).toBe(false);
    expect(isTenantKey('ml', 'models/ml/')).toBe(false);
    expect(isTenantKey('ml', 'gold/pets/')).toBe(false);
    expect(checkTenantKey('output', 'ml', 'runs/ml/r1/')).toBe('runs/ml/r1/');
  });

  it.each([
    ['models/team-b/m/1/model.onnx', /must lie under the namespace's own prefixes/],
    [`objects/team-b/sha256/ab/${SHA}`, /must lie under the namespace's own prefixes/],
    ['models/ml/../team-b/m/1/model.onnx', /invalid artifact/],
    ['models/ml/%2e%2e/x', /invalid artifact/],
    ['imports/ml/./x', /invalid artifact/],
  ])('refuses %s as a key of namespace ml', (key, message) => {
    expect(() => checkTenantKey('artifact', 'ml', key)).toThrow(message);
  });

  it("names only the namespace's own prefixes when it refuses a key", () => {
    let error: unknown;
    try {
      checkTenantKey('artifact', 'ml', 'models/team-b/m/1/model.onnx');
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({
      reason: 'OutsideNamespace',
      message:
        "artifact must lie under the namespace's own prefixes (models/ml/, runs/ml/, datasets/ml/, objects/ml/, imports/ml/)",
    });
  });

  it('parses s3 URIs with validated keys', () => {
    expect(parseS3Uri('manifest', 's3://bosun/datasets/ml/pets/snapshots/1/full.jsonl.gz')).toEqual({
      bucket: 'bosun',
      key: 'datasets/ml/pets/snapshots/1/full.jsonl.gz',
    });
    expect(parseS3Uri('output', 's3://bosun/runs/ml/r/')).toEqual({ bucket: 'bosun', key: 'runs/ml/r/' });
    expect(() => parseS3Uri('manifest', 'http://bosun/x')).toThrow(/expected s3:\/\/<bucket>\/<key>/);
    expect(() => parseS3Uri('manifest', 's3://bosun/a/../b')).toThrow(/invalid manifest/);
    expect(() => parseS3Uri('manifest', 's3://Bad_Bucket/a')).toThrow(/invalid bucket/);
  });
});
