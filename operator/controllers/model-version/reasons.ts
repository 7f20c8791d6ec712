// Every reason the ModelVersion controller writes into a condition or an Event, with what it means
// for the user. Conditions: `ArtifactVerified` (the artifact's check) and `Ready` (the summary).

export const CONDITION_ARTIFACT_VERIFIED = 'ArtifactVerified';
export const CONDITION_READY = 'Ready';

import { ARTIFACT_LOCATION_REASONS } from '../shared/artifact-location.ts';

export const REASONS = {
  /** The artifact exists, its bytes match spec.artifact.sha256 and onnxruntime loads it. */
  Verified: 'Verified',
  /** A verification Job is running (or about to); the condition is Unknown meanwhile. */
  Verifying: 'Verifying',
  /** spec.artifact.uri is not a valid s3://bucket/key of plain path segments. */
  InvalidArtifactUri: ARTIFACT_LOCATION_REASONS.InvalidArtifactUri,
  /**
   * The artifact lies in the operator's bucket but outside this namespace's prefixes, or in another
   * bucket without spec.artifact.credentialsSecret. Nothing is verified or deleted; no Job runs.
   */
  ArtifactOutsideNamespace: ARTIFACT_LOCATION_REASONS.ArtifactOutsideNamespace,
  /** spec.artifact.credentialsSecret names a Secret that does not exist or lacks its keys. */
  CredentialsSecretInvalid: 'CredentialsSecretInvalid',
  /** Nothing is stored at spec.artifact.uri (retried: it may be uploaded later). */
  ArtifactNotFound: 'ArtifactNotFound',
  /** The stored bytes do not hash to spec.artifact.sha256. */
  DigestMismatch: 'DigestMismatch',
  /** onnxruntime cannot load the file. */
  InvalidModel: 'InvalidModel',
  /** The verification Job failed without a verdict on the artifact (deadline, out of memory, ...). */
  VerificationFailed: 'VerificationFailed',
} as const;

/** Event reasons (Events only, not conditions). */
export const EVENT_REASONS = {
  /** spec.stage changed: a promotion or demotion. */
  StageChanged: 'StageChanged',
  /** Deletion waits until no InferenceService serves this version. */
  DeletionBlocked: 'DeletionBlocked',
  /** deletionPolicy Delete was not applied; the note says why (outside models/<namespace>/, never verified, another version keeps it). */
  ArtifactRetained: 'ArtifactRetained',
  /** deletionPolicy Delete removed the artifact from the store. */
  ArtifactDeleted: 'ArtifactDeleted',
} as const;
