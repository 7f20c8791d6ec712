// A snapshot's version is the UTC time it stands for, `YYYYMMDD-HHMMSS`: fixed width, so versions
// sort by time as strings. The snapshot Job names a scheduled snapshot with it (its schedule's
// tick); the Dataset controller names an on-demand one.
import { SNAPSHOT_VERSION_REGEX } from '../../operator/api/common.ts';

const VERSION = new RegExp(SNAPSHOT_VERSION_REGEX);

export function isSnapshotVersion(text: string): boolean {
  return VERSION.test(text);
}

/** The version of a time, to the second (a fraction of a second is dropped). */
export function snapshotVersionAt(time: Date): string {
  // 2026-02-01T03:00:00.000Z; a year past 9999 or before 0 has another width and is refused.
  const iso = Number.isNaN(time.getTime()) ? '' : time.toISOString();
  const version = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
  if (iso.length !== 24 || !isSnapshotVersion(version))
    throw new RangeError(`no snapshot version for the time ${String(time)}`);
  return version;
}
