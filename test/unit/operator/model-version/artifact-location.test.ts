import { describe, expect, it } from 'vitest';
import { deletionDecision } from '../../../../operator/controllers/model-version/artifact-deletion.ts';
import { locateArtifact } from '../../../../operator/controllers/shared/artifact-location.ts';
import {
  aModelVersion,
  deleting,
  inNamespace,
  verified,
  withCredentialsSecret,
  withDeletionPolicy,
  withUri,
} from '../../gen/model-version.ts';

describe("where a ModelVersion's artifact may be", () => {
  it.each([
    ['s3://bosun/models/team-a/m/1/model.onnx', true],
    ['s3://bosun/imports/team-a/m.onnx', true],
    ['s3://bosun/runs/team-a/r1/model.onnx', true],
    ['s3://bosun/models/team-b/m/1/model.onnx', false],
    ['s3://bosun/models/team-a', false],
    ['s3://bosun/team-a/m.onnx', false],
    ['s3://bosun/models/team-ab/m.onnx', false],
  ])('%s in namespace team-a: allowed %s', (uri, allowed) => {
    const location = locateArtifact(aModelVersion('m-v1', withUri(uri)), 'bosun');
    expect(location.ok).toBe(allowed);
    if (!location.ok) expect(location.reason).toBe('ArtifactOutsideNamespace');
  });

  it('reads another bucket only with a Secret of the namespace', () => {
    expect(locateArtifact(aModelVersion('m-v1', withUri('s3://other/m.onnx')), 'bosun')).toMatchObject({
      ok: false,
      reason: 'ArtifactOutsideNamespace',
    });
    expect(
      locateArtifact(
        aModelVersion('m-v1', withUri('s3://other/m.onnx'), withCredentialsSecret('creds')),
        'bosun',
      ),
    ).toMatchObject({ ok: true, own: false, bucket: 'other', key: 'm.onnx', credentialsSecret: 'creds' });
  });

  it("a refusal names only the namespace's own prefixes", () => {
    const location = locateArtifact(
      aModelVersion('m-v1', withUri('s3://bosun/models/team-b/m/1/model.onnx')),
      'bosun',
    );
    expect(location.ok).toBe(false);
    if (!location.ok) {
      expect(location.message).toContain('models/team-a/');
      expect(location.message).not.toContain('team-b');
    }
  });
});

describe('whether deleting a ModelVersion deletes its artifact', () => {
  const mine = (...mods: Parameters<typeof aModelVersion>[1][]) =>
    aModelVersion('m-v1', verified, withDeletionPolicy('Delete'), deleting, ...mods);

  it('deletes only its own verified model under models/<namespace>/', () => {
    expect(deletionDecision(mine(), [], 'bosun')).toEqual({
      delete: true,
      key: 'models/team-a/m/1/model.onnx',
    });
    expect(deletionDecision(aModelVersion('m-v1', verified, deleting), [], 'bosun')).toEqual({
      delete: false,
    });
  });

  it("never lets an object of namespace b delete namespace a's key", () => {
    const other = aModelVersion(
      'm-v1',
      inNamespace('team-b'),
      withDeletionPolicy('Delete'),
      deleting,
      withUri('s3://bosun/models/team-a/m/1/model.onnx'),
    );
    expect(deletionDecision(other, [], 'bosun')).toMatchObject({ delete: false, reason: 'ArtifactRetained' });
  });
});
