import { describe, expect, it } from 'vitest';
import type { ScopedCredentials } from '../../../../lib/store/sts.ts';
import type { Dataset } from '../../../../operator/api/dataset.ts';
import { datasetOf } from '../../../../operator/controllers/dataset/controller.ts';
import { checkDatasetSpec } from '../../../../operator/controllers/dataset/spec-check.ts';
import {
  CREDENTIALS_SCOPE_ANNOTATION,
  dataJobsStoreScope,
  RENEW_BEFORE_MS,
  renderStoreCredentialsSecret,
  renewalDueInMs,
} from '../../../../operator/controllers/dataset/store-credentials.ts';
import { CREDENTIALS_EXPIRE_AT_ANNOTATION } from '../../../../operator/controllers/shared/scoped-credentials-secret.ts';
import {
  aDataset,
  anS3Source,
  aPostgresSource,
  inNamespace,
  withGold,
  withSources,
} from '../../gen/dataset.ts';

const BUCKET = 'bosun';
const NOW = new Date('2026-01-10T00:00:00Z');
const HOUR = 3_600_000;
const minted = (expiresInMs: number): ScopedCredentials => ({
  accessKeyId: 'ASIAEXAMPLE',
  secretAccessKey: 'secret-example',
  sessionToken: 'token-example',
  expiration: new Date(NOW.getTime() + expiresInMs),
});
const ds = (...mods: Parameters<typeof aDataset>[1][]) => aDataset('pets', ...mods);

describe("the store scope of a Dataset's data jobs", () => {
  it("writes only the Dataset's own folder and the namespace's blobs, and reads its imports", () => {
    expect(dataJobsStoreScope(ds(), BUCKET)).toEqual({
      bucket: BUCKET,
      write: ['datasets/team-a/pets/', 'objects/team-a/'],
      read: ['imports/team-a/'],
    });
    // The trailing "/" keeps a Dataset out of one whose name starts with its own.
    const other = dataJobsStoreScope(aDataset('pets-2'), BUCKET);
    expect(other.write).toEqual(['datasets/team-a/pets-2/', 'objects/team-a/']);
  });

  it("reads the spec's locations in the operator's bucket, and not those of another bucket or store", () => {
    const dataset = ds(
      withGold('s3://bosun/imports/team-a/gold/pets/'),
      withSources(
        anS3Source('uploads', 's3://bosun/datasets/team-a/uploads/incoming/'),
        anS3Source('partner', 's3://partner/pets/', { credentialsSecret: { name: 'partner' } }),
        anS3Source('aws', 's3://bosun/pets/', {
          endpoint: 'https://s3.eu-west-1.amazonaws.com',
          credentialsSecret: { name: 'aws' },
        }),
        aPostgresSource('served', (p) => {
          p.images = { uri: 's3://bosun/imports/team-a/served/' };
        }),
      ),
    );
    const scope = dataJobsStoreScope(dataset, BUCKET);
    expect(new Set(scope.read)).toEqual(
      new Set([
        'imports/team-a/',
        'imports/team-a/gold/pets/',
        'datasets/team-a/uploads/incoming/',
        'imports/team-a/served/',
      ]),
    );
    expect(scope.write).toEqual(['datasets/team-a/pets/', 'objects/team-a/']);
  });

  it.each<[string, string]>([
    ['the bucket root', 's3://bosun/'],
    ["every namespace's blobs", 's3://bosun/objects/'],
    ["every namespace's imports", 's3://bosun/imports/'],
  ])("reads images keyed from %s only under the namespace's own prefixes", (_what, uri) => {
    const dataset = ds(withSources(aPostgresSource('served', (p) => (p.images = { uri }))));
    expect(checkDatasetSpec(dataset, BUCKET)).toEqual({ ok: true });
    const scope = dataJobsStoreScope(dataset, BUCKET);
    expect(scope.read.length).toBeGreaterThan(0);
    for (const prefix of [...scope.read, ...scope.write]) expect(prefix).toMatch(/^[a-z]+\/team-a\//);
  });

  it('never names another namespace, for any Dataset the spec check accepts', () => {
    const accepted: Dataset[] = [
      ds(inNamespace('team-b'), withGold('s3://bosun/imports/team-b/gold/')),
      ds(
        inNamespace('team-b'),
        withSources(
          aPostgresSource('root'),
          aPostgresSource('blobs', (p) => (p.images = { uri: 's3://bosun/objects/' })),
          anS3Source('up', 's3://bosun/imports/team-b/up/'),
        ),
      ),
    ];
    for (const dataset of accepted) {
      expect(checkDatasetSpec(dataset, BUCKET)).toEqual({ ok: true });
      const scope = dataJobsStoreScope(dataset, BUCKET);
      for (const prefix of [...scope.read, ...scope.write]) expect(prefix).toMatch(/^[a-z]+\/team-b\//);
    }
  });
});

describe("the data jobs' store credentials Secret", () => {
  const dataset = ds(withGold('s3://bosun/imports/team-a/gold/'));
  const scope = dataJobsStoreScope(dataset, BUCKET);

  it('holds the minted credentials, owned by the Dataset without blocking its deletion, and maps back to it', () => {
    const secret = renderStoreCredentialsSecret(dataset, minted(12 * HOUR), scope);
    expect(secret.metadata?.name).toBe('pets-data-jobs-store');
    expect(secret.metadata?.namespace).toBe('team-a');
    const decoded = Object.fromEntries(
      Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
    );
    expect(decoded).toEqual({
      accessKeyId: 'ASIAEXAMPLE',
      secretAccessKey: 'secret-example',
      sessionToken: 'token-example',
    });
    expect(secret.metadata?.ownerReferences).toMatchObject([
      { kind: 'Dataset', name: 'pets', uid: 'uid-pets', controller: true, blockOwnerDeletion: false },
    ]);
    expect(secret.metadata?.annotations?.[CREDENTIALS_EXPIRE_AT_ANNOTATION]).toBe('2026-01-10T12:00:00.000Z');
    expect(datasetOf(secret)).toEqual(['team-a/pets']);
    // Nothing of the credentials shows outside data.
    expect(JSON.stringify({ ...secret, data: undefined })).not.toMatch(
      /ASIAEXAMPLE|secret-example|token-example/,
    );
  });

  it('is due now when missing, minted for another scope, or unreadable', () => {
    expect(renewalDueInMs(undefined, scope, NOW)).toBe(0);
    const otherScope = dataJobsStoreScope(ds(withGold('s3://bosun/imports/team-a/gold-v2/')), BUCKET);
    expect(
      renewalDueInMs(renderStoreCredentialsSecret(dataset, minted(12 * HOUR), otherScope), scope, NOW),
    ).toBe(0);
    const unreadable = renderStoreCredentialsSecret(dataset, minted(12 * HOUR), scope);
    (unreadable.metadata?.annotations as Record<string, string>)[CREDENTIALS_EXPIRE_AT_ANNOTATION] = 'soon';
    expect(renewalDueInMs(unreadable, scope, NOW)).toBe(0);
    const unscoped = renderStoreCredentialsSecret(dataset, minted(12 * HOUR), scope);
    delete unscoped.metadata?.annotations?.[CREDENTIALS_SCOPE_ANNOTATION];
    expect(renewalDueInMs(unscoped, scope, NOW)).toBe(0);
  });

  it('is due now within RENEW_BEFORE_MS of expiry (or past it), and else when it gets there', () => {
    const due = (expiresInMs: number) =>
      renewalDueInMs(renderStoreCredentialsSecret(dataset, minted(expiresInMs), scope), scope, NOW);
    expect(due(RENEW_BEFORE_MS - 1000)).toBe(0);
    expect(due(RENEW_BEFORE_MS)).toBe(0);
    expect(due(-HOUR)).toBe(0);
    expect(due(RENEW_BEFORE_MS + 1000)).toBe(1000);
    expect(due(12 * HOUR)).toBe(12 * HOUR - RENEW_BEFORE_MS);
  });
});
