// An s3 source: the objects under a prefix whose LastModified lies in the window, so each object
// is collected by the window it was written in. Images are laid out `<label>/<file>`
// (imagefolder); a tabular Dataset takes CSV and JSON lines files as they are.
import type { Static } from '@sinclair/typebox';
import { UserError } from '../../../lib/contract/errors.ts';
import type { S3Source as S3SourceSpec } from '../../../operator/api/dataset.ts';
import { MAX_ITEM_BYTES, sourceEnv } from '../job-contract.ts';
import { blobOfKey, resolveLocation } from './s3-location.ts';
import {
  type Candidate,
  ItemLeftOut,
  type LeftOut,
  readCapped,
  type Source,
  type SourceContext,
} from './source.ts';

type Spec = Static<typeof S3SourceSpec>;

/** The table files a tabular Dataset holds (what the trainer reads). */
export const TABLE_EXTENSIONS = ['.csv', '.jsonl'] as const;

export function tableExtension(name: string): string | undefined {
  const lower = name.toLowerCase();
  return TABLE_EXTENSIONS.find((ext) => lower.endsWith(ext));
}

export function s3Source(spec: Spec, ctx: SourceContext): Source {
  const location = resolveLocation(`spec.sources[${ctx.index}].s3.uri`, spec, {
    namespace: ctx.namespace,
    store: ctx.store,
    storeConfig: ctx.storeConfig,
    env: ctx.env,
    credentials: sourceEnv(ctx.index),
    tenantPrefix: true,
  });
  const verified = spec.verified ?? false;

  function candidate(key: string, lastModified: Date, size: number): Candidate | LeftOut {
    const relative = key.slice(location.prefix.length);
    const what = `s3://${location.bucket}/${key}`;
    if (size > MAX_ITEM_BYTES)
      return { leftOut: 'tooLarge', detail: `${what} is larger than ${MAX_ITEM_BYTES} bytes` };
    let label: string | null = null;
    let name = relative;
    if (ctx.format === 'imagefolder') {
      const slash = relative.indexOf('/');
      if (slash <= 0) return { leftOut: 'unlabelled', detail: `${what} is not in a <label>/ folder` };
      label = relative.slice(0, slash);
      name = relative.slice(slash + 1);
    } else if (!tableExtension(relative)) {
      return { leftOut: 'corrupt', detail: `${what} is not a CSV (.csv) or JSON lines (.jsonl) file` };
    }
    const blob = location.own ? blobOfKey(ctx.namespace, key) : undefined;
    const c: Candidate = {
      id: relative,
      kind: ctx.format === 'imagefolder' ? 'image' : 'table',
      label,
      verified,
      collectedAt: lastModified.toISOString(),
      attributes: { object: what },
      name,
      read: async () => {
        try {
          return await readCapped(await location.store.openObject(key), MAX_ITEM_BYTES, what);
        } catch (e) {
          if (e instanceof UserError && e.reason === 'NotFound')
            throw new ItemLeftOut('missing', `${what} was deleted`);
          throw e;
        }
      },
    };
    if (blob) c.blobSha256 = blob;
    return c;
  }

  return {
    async *candidates(window) {
      for await (const object of location.store.listObjects(location.prefix)) {
        if (object.key.endsWith('/')) continue; // a folder marker of a console
        if (object.lastModified < window.start || object.lastModified >= window.end) continue;
        yield candidate(object.key, object.lastModified, object.size);
      }
    },
  };
}
