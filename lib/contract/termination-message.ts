// The termination message every workload leaves (the workload contract's "Failing well"): one line
// in /dev/termination-log, which Kubernetes keeps (at most 4096 bytes) in the Pod's status, so the
// operator learns a Job's outcome from the Pod alone. A failure is `<Reason>: <message>`; a result
// a workload defines (e.g. the verifier's, the collector's) is one JSON object.
import { writeFileSync } from 'node:fs';

/** Kubernetes keeps at most 4096 bytes of a termination message. */
export const TERMINATION_MESSAGE_LIMIT = 4096;

/** Where Kubernetes reads it unless the container says otherwise. */
export const TERMINATION_LOG_PATH = '/dev/termination-log';

const REASON_PATTERN = /^[A-Z][A-Za-z0-9]*$/;

/** `<Reason>: <message>` on one line, cut to the limit. */
export function encodeFailure(reason: string, message: string): string {
  const line = `${reason}: ${message.replace(/\s+/g, ' ')}`;
  return Buffer.byteLength(line) <= TERMINATION_MESSAGE_LIMIT
    ? line
    : `${line.slice(0, TERMINATION_MESSAGE_LIMIT - 3)}...`;
}

/** Reads a failure line back; undefined when the text is not of that form. */
export function parseFailure(text: string): { reason: string; message: string } | undefined {
  const colon = text.indexOf(': ');
  if (colon < 0) return undefined;
  const reason = text.slice(0, colon);
  if (!REASON_PATTERN.test(reason)) return undefined;
  return { reason, message: text.slice(colon + 2) };
}

/** Writes the message; outside a Pod there is no termination log, and the logs say the same. */
export function writeTerminationMessage(text: string, path = TERMINATION_LOG_PATH): void {
  try {
    writeFileSync(path, text);
  } catch {
    // Nothing to do: stdout/stderr and the JSON log carry the outcome too.
  }
}
