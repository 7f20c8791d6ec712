// A candidate batch's identity: the collection window [start, end) it holds, written into its keys
// as a fixed-width UTC form (`20260101T000000Z-20260102T000000Z`) that sorts by time. The collector
// names batches with it; the snapshot builder reads it back to pick the batches up to a time.

export interface CollectionWindow {
  /** Inclusive. */
  start: Date;
  /** Exclusive. */
  end: Date;
}

/** Manifest and summary file names beside each other under a Dataset's `batches/` prefix. */
export const BATCH_MANIFEST_SUFFIX = '.jsonl.gz';
export const BATCH_SUMMARY_SUFFIX = '.json';

const TIME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** A time in the window form, to the second; a time with milliseconds is refused, not rounded. */
export function compactUtc(time: Date): string {
  if (Number.isNaN(time.getTime()) || time.getUTCMilliseconds() !== 0)
    throw new RangeError(`a window boundary is a whole second, got ${String(time)}`);
  return time.toISOString().replace(/[-:]/g, '').replace('.000Z', 'Z');
}

function parseCompactUtc(text: string): Date | undefined {
  const m = TIME.exec(text);
  if (!m) return undefined;
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`;
  const time = new Date(iso);
  // Date normalises 20260230 to March 2nd: only a form that reads back the same is a window.
  return !Number.isNaN(time.getTime()) && time.toISOString() === iso.replace('Z', '.000Z') ? time : undefined;
}

export function windowSegment(window: CollectionWindow): string {
  if (window.end.getTime() <= window.start.getTime())
    throw new RangeError(
      `a window ends after it starts, got ${window.start.toISOString()}..${window.end.toISOString()}`,
    );
  return `${compactUtc(window.start)}-${compactUtc(window.end)}`;
}

/** The window a segment names; undefined for anything else. */
export function parseWindowSegment(segment: string): CollectionWindow | undefined {
  const [start, end, ...rest] = segment.split('-');
  if (start === undefined || end === undefined || rest.length > 0) return undefined;
  const window = { start: parseCompactUtc(start), end: parseCompactUtc(end) };
  if (!window.start || !window.end || window.end <= window.start) return undefined;
  return window as CollectionWindow;
}

export interface BatchFile {
  window: CollectionWindow;
  /** The window segment, as in the key. */
  segment: string;
  kind: 'manifest' | 'summary';
}

/** What a key listed under a Dataset's `batches/` prefix is; undefined for a key that is no batch file. */
export function parseBatchKey(prefix: string, key: string): BatchFile | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const name = key.slice(prefix.length);
  const kind = name.endsWith(BATCH_MANIFEST_SUFFIX)
    ? 'manifest'
    : name.endsWith(BATCH_SUMMARY_SUFFIX)
      ? 'summary'
      : undefined;
  if (!kind) return undefined;
  const segment = name.slice(0, -(kind === 'manifest' ? BATCH_MANIFEST_SUFFIX : BATCH_SUMMARY_SUFFIX).length);
  const window = parseWindowSegment(segment);
  return window ? { window, segment, kind } : undefined;
}
