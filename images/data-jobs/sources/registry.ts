// Every source kind of the Dataset API (operator/api/dataset.ts sourceKinds) and the one file that
// implements it. A new kind is an entry there, a file here, and its line below.
import type { Static } from '@sinclair/typebox';
import type { DatasetSource, sourceKinds } from '../../../operator/api/dataset.ts';
import { httpSource } from './http.ts';
import { postgresSource } from './postgres.ts';
import { s3Source } from './s3.ts';
import type { Source, SourceContext } from './source.ts';

type Kinds = typeof sourceKinds;
type Kind = keyof Kinds;

const SOURCE_KINDS: { [K in Kind]: (spec: Static<Kinds[K]>, ctx: SourceContext) => Source } = {
  postgres: postgresSource,
  s3: s3Source,
  http: httpSource,
};

/** The source for one entry of spec.sources (validated: exactly one kind is set). */
export function createSource(source: Static<typeof DatasetSource>, ctx: SourceContext): Source {
  for (const kind of Object.keys(SOURCE_KINDS) as Kind[]) {
    const spec = source[kind];
    if (spec !== undefined)
      return (SOURCE_KINDS[kind] as (s: typeof spec, c: SourceContext) => Source)(spec, ctx);
  }
  throw new Error(`source ${source.name} has no kind this image knows`);
}
