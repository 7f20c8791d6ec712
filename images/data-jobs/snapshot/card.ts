// The card of a snapshot version (`snapshots/<version>/README.md`), what a person opens in the
// store's console: what it is, its counts per variant, labels and sources, the quality findings,
// where it came from and how to load it. Rendered from the pinned inputs and the variants'
// summaries alone, so a re-run writes the same bytes.
import type { SnapshotInputs } from './inputs.ts';
import type { VariantSummary } from './summary.ts';

/** A card stays readable: the most frequent labels are listed, the rest summed. */
export const CARD_LABEL_ROWS = 50;

function n(value: number): string {
  return value.toLocaleString('en-US');
}

/** Markdown table cells hold user data (labels, source names): no pipes or line breaks in them. */
function cell(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ');
}

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function countTable(what: string, summaries: VariantSummary[], key: 'labels' | 'sources'): string {
  const totals = new Map<string, number>();
  for (const s of summaries)
    for (const [k, v] of Object.entries(s[key] ?? {})) totals.set(k, Math.max(totals.get(k) ?? 0, v));
  const ranked = [...totals].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
  const shown = ranked.slice(0, CARD_LABEL_ROWS);
  const rows = shown.map(([k]) => [cell(k), ...summaries.map((s) => n(s[key]?.[k] ?? 0))]);
  const rest = ranked.slice(CARD_LABEL_ROWS);
  if (rest.length > 0)
    rows.push([
      `*${n(rest.length)} more*`,
      ...summaries.map((s) => n(rest.reduce((sum, [k]) => sum + (s[key]?.[k] ?? 0), 0))),
    ]);
  return table([what, ...summaries.map((s) => s.variant)], rows);
}

export function renderCard(inputs: SnapshotInputs, bucket: string, summaries: VariantSummary[]): string {
  const { dataset, namespace, version } = inputs;
  const folder = `datasets/${namespace}/${dataset}/snapshots/${version}/`;
  const lines: string[] = [];
  const rejected = summaries.filter((s) => s.rejected);
  lines.push(`# ${dataset} — snapshot ${version}`, '');
  lines.push(
    `Dataset \`${namespace}/${dataset}\` (${inputs.format}), snapshot **${version}**: gold plus every candidate batch whose window ended by ${inputs.time}.`,
    '',
  );
  lines.push(
    rejected.length === 0
      ? 'Every variant passed its quality gates.'
      : `**Rejected:** ${rejected.map((s) => s.variant).join(', ')} failed a quality gate; kept for inspection, never the Dataset's latest snapshot.`,
    '',
  );

  lines.push('## Variants', '');
  lines.push(
    table(
      ['variant', 'items', 'verified', 'unverified', 'labels', 'duplicates left out', 'status'],
      summaries.map((s) => [
        `\`${s.variant}\``,
        n(s.items),
        n(s.verified),
        n(s.unverified),
        n(s.distinctLabels),
        n(s.duplicates),
        s.rejected ? '**rejected**' : 'accepted',
      ]),
    ),
    '',
  );
  for (const s of summaries)
    lines.push(
      `- \`${s.variant}\`: \`${s.variant}.jsonl.gz\`, sha256 \`${s.manifest.sha256}\`${s.rows !== undefined ? `, ${n(s.rows)} rows` : ''}`,
    );
  lines.push(
    '',
    '`verified` is gold plus the items whose label a person verified; `full` is gold plus every item. The same bytes appear once per variant: the first occurrence is kept, except that a verified one replaces an unverified one.',
    '',
  );

  if (summaries.some((s) => s.distinctLabels > 0)) {
    lines.push('## Labels', '');
    if (summaries.some((s) => s.labels === undefined))
      lines.push('More labels than a summary lists: see the manifests.', '');
    else lines.push(countTable('label', summaries, 'labels'), '');
  }

  lines.push('## Sources', '', countTable('source', summaries, 'sources'), '');
  if (inputs.gold) {
    const leftOut = Object.entries(inputs.gold.leftOut).filter(([, c]) => c > 0);
    lines.push(
      `Gold: \`${cell(inputs.gold.uri)}\`, ${n(inputs.gold.objects)} objects, ${n(inputs.gold.items)} items${leftOut.length > 0 ? ` (left out: ${leftOut.map(([r, c]) => `${n(c)} ${r}`).join(', ')})` : ''}.`,
    );
  } else lines.push('Gold: none (spec.gold is not set).');
  const first = inputs.batches[0];
  const last = inputs.batches[inputs.batches.length - 1];
  lines.push(
    first && last
      ? `Batches: ${n(inputs.batches.length)}, windows from ${first.window.start} to ${last.window.end}.`
      : 'Batches: none.',
    '',
  );

  lines.push('## Quality', '');
  const checks = summaries[0]?.quality.findings.map((f) => f.check) ?? [];
  lines.push(
    table(
      ['check', 'gate', ...summaries.map((s) => s.variant)],
      checks.map((check) => {
        const limit = summaries[0]?.quality.findings.find((f) => f.check === check)?.limit;
        return [
          `\`${check}\``,
          limit === null || limit === undefined ? 'off' : String(limit),
          ...summaries.map((s) => {
            const f = s.quality.findings.find((x) => x.check === check);
            return f ? `${f.passed ? 'passed' : '**failed**'}: ${cell(f.message)}` : '';
          }),
        ];
      }),
    ),
    '',
  );

  lines.push('## Lineage', '');
  lines.push(
    inputs.parent ? `Follows snapshot \`${inputs.parent}\`.` : 'The first snapshot of this Dataset.',
    '',
  );
  lines.push(
    'What it was built from (the snapshot time, the gold index, each batch and its digest) is in `inputs.json` beside this card.',
    '',
  );

  const variant = summaries.find((s) => !s.rejected)?.variant ?? summaries[0]?.variant ?? 'full';
  lines.push('## Loading it', '');
  lines.push(
    'Train on it with a TrainingRun:',
    '',
    '```yaml',
    'spec:',
    '  dataset:',
    `    name: ${dataset}`,
    `    snapshot: "${version}"`,
    `    variant: ${variant}`,
    '```',
    '',
    `Or read it yourself: each manifest is gzip JSON lines, one item per line (\`path\`, \`sha256\`, \`size\`, \`label\`, \`source\`, \`verified\`, \`collectedAt\`, \`attributes\`); an item's bytes are the object \`objects/${namespace}/sha256/<first two hex digits>/<sha256>\` of bucket \`${bucket}\`. Check each one's sha256 when you read it.`,
    '',
    '```python',
    'import gzip, hashlib, json, boto3',
    's3 = boto3.client("s3", endpoint_url="<the store URL>")',
    `manifest = s3.get_object(Bucket="${bucket}", Key="${folder}${variant}.jsonl.gz")["Body"].read()`,
    'for line in gzip.decompress(manifest).splitlines():',
    '    item = json.loads(line)',
    '    sha = item["sha256"]',
    `    data = s3.get_object(Bucket="${bucket}", Key=f"objects/${namespace}/sha256/{sha[:2]}/{sha}")["Body"].read()`,
    '    assert hashlib.sha256(data).hexdigest() == sha',
    '```',
    '',
  );
  return lines.join('\n');
}
