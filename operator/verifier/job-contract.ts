// What the verification Job is given and what it answers: the contract between the operator, which
// renders the Job (operator/controllers/model-version/verification-job.ts), and `verify-artifact`.
// The Job holds no store credentials; it reads through presigned GET links
// (docs/decisions/0008-workload-store-access.md).

/** The environment of the verification Job. */
export const VERIFIER_ENV = {
  /** Presigned http(s) GET link to the model. */
  artifactUrl: 'BOSUN_ARTIFACT_URL',
  /** spec.artifact.sha256: 64 lowercase hex digits. */
  artifactSha256: 'BOSUN_ARTIFACT_SHA256',
  /** Optional presigned GET link to metrics.json beside the model; a 404 there means no metrics. */
  metricsUrl: 'BOSUN_METRICS_URL',
  /** A writable directory (an emptyDir) that holds the model while it is checked. */
  workDir: 'BOSUN_WORK_DIR',
  /** Optional: the size the operator's HEAD saw, so a changed object fails before its download. */
  artifactSize: 'BOSUN_ARTIFACT_SIZE',
} as const;

/** Exit codes: the Job's podFailurePolicy fails the Job at once on BAD_ARTIFACT. */
export const EXIT = {
  VERIFIED: 0,
  /** A verdict on the bytes (or the configuration): retrying the same Job gives the same answer. */
  BAD_ARTIFACT: 1,
  /** Anything else: the store unreachable, a link that expired. The Job retries. */
  RETRY: 2,
} as const;

/**
 * Termination-message reasons besides the artifact verdicts (ArtifactNotFound, DigestMismatch,
 * InvalidModel) and ConfigInvalid. Both exit with RETRY.
 */
export const VERIFIER_REASONS = {
  /** The presigned link expired before the Job used it: the operator recreates the Job with new links. */
  ArtifactLinkExpired: 'ArtifactLinkExpired',
  /** The verification could not run (store unreachable, the object changed meanwhile, ...). */
  VerificationError: 'VerificationError',
} as const;

/**
 * How long the links live. Longer than the Job's activeDeadlineSeconds (900 s), which counts from
 * the Job's start including time Pending (image pull, scheduling), so a Job never outlives its
 * links; an expired link means the Job was created long after its links were signed.
 */
export const ARTIFACT_LINK_EXPIRY_SECONDS = 3600;

/**
 * protobuf's limit for one message, and so for a single-file ONNX model: larger models keep their
 * weights in external data files, which a one-file artifact cannot carry. onnxruntime refuses
 * such a file at once; the verifier says why instead.
 */
export const ONNX_FILE_LIMIT = 2 ** 31 - 1;

const MIB = 1024 * 1024;

/**
 * The Job's memory limit for a model of `size` bytes. Downloading and hashing take constant
 * memory; onnxruntime loading a model by path peaks at about twice its size (measured with
 * onnxruntime-node 1.30: 256 MiB → 605 MB RSS, 1 GiB → 2.1 GB, 2 GiB → 4.2 GB), plus the
 * process itself (~100 MB). A file over ONNX_FILE_LIMIT is never loaded.
 */
export function verifierMemoryLimitBytes(size: number): number {
  const loaded = size <= ONNX_FILE_LIMIT ? 2 * size : 0;
  return Math.max(512 * MIB, loaded + 256 * MIB);
}

/** The work dir's emptyDir size for a model of `size` bytes: the file plus room to spare. */
export function verifierWorkDirBytes(size: number): number {
  return size + 64 * MIB;
}

/** A failure that says nothing about the artifact: the verifier exits RETRY with its reason. */
export { RetryableError } from '../../lib/contract/errors.ts';
