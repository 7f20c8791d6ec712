// What a verification Job reports, and how. The Job writes one line to its termination message
// (/dev/termination-log, at most 4096 bytes, which Kubernetes keeps in the Pod's status): JSON for
// a verified artifact, `<Reason>: <message>` for a failure (the workload contract's format). The
// operator reads it from the Pod, so no result ever goes through the store or the operator's memory
// beyond these few bytes.
import {
  encodeFailure,
  parseFailure,
  TERMINATION_MESSAGE_LIMIT,
} from '../../../lib/contract/termination-message.ts';
import type { ModelVersionStatus } from '../../api/model-version.ts';

export { encodeFailure, TERMINATION_MESSAGE_LIMIT };

export type Signature = NonNullable<ModelVersionStatus['signature']>;

export interface Verified {
  ok: true;
  size: number;
  signature: Signature;
  metrics?: Record<string, number>;
  verifiedAt: string;
  /** Parts of the signature or metrics were left out to fit the termination message. */
  truncated?: boolean;
}

export interface NotVerified {
  ok: false;
  reason: string;
  message: string;
  /** When the verification finished; a failure is retried some time after it. */
  at: string;
}

export type Verification = Verified | NotVerified;

/** Encodes a successful result in at most 4096 bytes, dropping metrics, then shapes, if needed. */
export function encodeVerified(result: Verified): string {
  const fits = (r: Verified) => Buffer.byteLength(JSON.stringify(r)) <= TERMINATION_MESSAGE_LIMIT;
  if (fits(result)) return JSON.stringify(result);
  const r: Verified = structuredClone(result);
  r.truncated = true;
  const metrics = Object.entries(r.metrics ?? {});
  while (metrics.length > 0 && !fits(r)) {
    metrics.pop();
    r.metrics = Object.fromEntries(metrics);
  }
  for (const list of [r.signature.outputs, r.signature.inputs])
    for (const tensor of list) {
      if (fits(r)) break;
      tensor.shape = [];
    }
  while (!fits(r) && (r.signature.outputs.length > 1 || r.signature.inputs.length > 1)) {
    if (r.signature.outputs.length > 1) r.signature.outputs.pop();
    else r.signature.inputs.pop();
  }
  return JSON.stringify(r);
}

/** Reads a termination message back; undefined when it is neither of the two forms. */
export function parseTerminationMessage(
  message: string | undefined,
  finishedAt: string,
): Verification | undefined {
  const text = message?.trim();
  if (!text) return undefined;
  if (text.startsWith('{')) {
    try {
      const value = JSON.parse(text) as Verified;
      if (
        value.ok === true &&
        Number.isSafeInteger(value.size) &&
        value.signature &&
        Array.isArray(value.signature.inputs)
      )
        return value;
    } catch {
      return undefined;
    }
    return undefined;
  }
  const failure = parseFailure(text);
  return failure && { ok: false, ...failure, at: finishedAt };
}
