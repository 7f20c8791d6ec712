// The presigned links through which serving Pods read their model (docs/decisions/0008: a reader
// gets links, no credentials). A link is part of the Pod template, so a new link rolls the
// Deployment over: the controller keeps the link the Deployment already has while it is valid long
// enough, and replaces it only when little of its life is left. Pure: signing is the caller's.
import { linkExpiresAt } from '../../../lib/store/presigned-link.ts';

/** How long a link lives: SigV4's longest (7 days). */
export const MODEL_LINK_LIFETIME_SECONDS = 7 * 24 * 3600;
/**
 * A link with less than this left is replaced (a rollout every ~4 days). The margin covers a Pod
 * that starts late (rescheduled, scaled up) and an operator that is down for a while.
 */
export const MODEL_LINK_RENEW_BEFORE_SECONDS = 3 * 24 * 3600;

/** Whether two links name the same object (same store, bucket and key), whatever their signatures. */
export function sameObject(a: string, b: string): boolean {
  try {
    const x = new URL(a);
    const y = new URL(b);
    return x.origin === y.origin && x.pathname === y.pathname;
  } catch {
    return false;
  }
}

/**
 * The link to use: `current` (from the live Deployment) when it names the same object as `fresh`
 * and stays valid for more than the renewal margin, else `fresh`.
 */
export function chooseLink(current: string | undefined, fresh: string, now: Date): string {
  if (current === undefined || !sameObject(current, fresh)) return fresh;
  const expires = linkExpiresAt(current);
  if (!expires) return fresh;
  return expires.getTime() - now.getTime() > MODEL_LINK_RENEW_BEFORE_SECONDS * 1000 ? current : fresh;
}

/** How long until `link` is due for renewal (0 when it is due already); undefined if unreadable. */
export function renewalDueInMs(link: string, now: Date): number | undefined {
  const expires = linkExpiresAt(link);
  if (!expires) return undefined;
  return Math.max(0, expires.getTime() - MODEL_LINK_RENEW_BEFORE_SECONDS * 1000 - now.getTime());
}
