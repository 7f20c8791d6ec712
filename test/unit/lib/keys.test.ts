import { describe, expect, it } from 'vitest';
import {
  batchManifestKey,
  blobKey,
  joinKey,
  modelPrefix,
  parseS3Uri,
  runPrefix,
  snapshotManifestKey,
  snapshotSummaryKey,
} from '../../../lib/store/keys.ts';

const SHA = 'ab'.repeat(32);

describe('store key layout', () => {
  it('builds the DESIGN §2 keys', () => {
    expect(blobKey(SHA)).toBe(`objects/sha256/ab/${SHA}`);
    expect(batchManifestKey('ml', 'pets', '20260101T0000Z-20260102T0000Z')).toBe(
      'datasets/ml/pets/batches/20260101T0000Z-20260102T0000Z.jsonl.gz',
    );
    expect(snapshotManifestKey('ml', 'pets', '2026-06', 'verified')).toBe(
      'datasets/ml/pets/snapshots/2026-06/verified.jsonl.gz',
    );
    expect(snapshotSummaryKey('ml', 'pets', '2026-06', 'full')).toBe(
      'datasets/ml/pets/snapshots/2026-06/full.json',
    );
    expect(modelPrefix('ml', 'pet-classifier', 3)).toBe('models/ml/pet-classifier/3/');
    expect(runPrefix('ml', 'train-1')).toBe('runs/ml/train-1/');
    expect(joinKey('runs/ml/train-1/', 'plots/loss.png')).toBe('runs/ml/train-1/plots/loss.png');
  });

  it.each([
    () => blobKey('AB'.repeat(32)),
    () => batchManifestKey('ml', '../etc', 'w'),
    () => batchManifestKey('ml', 'pets', '../../x'),
    () => snapshotManifestKey('ML', 'pets', '1', 'full'),
    () => snapshotManifestKey('ml', 'pets', '1', 'everything'),
    () => snapshotManifestKey('ml', 'pets', '1/2', 'full'),
    () => modelPrefix('ml', 'm', 0),
    () => joinKey('runs/ml/r/', '../other/model.onnx'),
    () => joinKey('runs/ml/r/', '/abs'),
    () => joinKey('runs/ml/r', 'x'),
    () => joinKey('runs/ml/r/', '.hidden'),
  ])('refuses names that could leave their prefix (%#)', (build) => {
    expect(build).toThrow(/invalid/);
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
