// The example trainer is what a user starts a custom trainer from: it imports Node's own modules,
// the minio client and its own files, never Bosun code.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIR = fileURLToPath(new URL('../../e2e/images/example-trainer/', import.meta.url));

describe('the example trainer image', () => {
  it('imports only node:*, minio and its own files', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.ts'));
    expect(files).toContain('main.ts');
    const own = new Set(files.map((f) => `./${f}`));
    const imports = files.flatMap((file) =>
      // Static imports and re-exports (`from '…'`), side-effect imports and dynamic import().
      [...readFileSync(`${DIR}${file}`, 'utf8').matchAll(/(?:\bfrom|^import|\bimport\()\s*'([^']+)'/gm)].map(
        (m) => `${file} imports ${m[1]}`,
      ),
    );
    expect(imports).toContain('main.ts imports ./store.ts');
    expect(imports).toContain('store.ts imports minio');
    const allowed = (line: string) => {
      const specifier = line.slice(line.lastIndexOf(' ') + 1);
      return specifier.startsWith('node:') || specifier === 'minio' || own.has(specifier);
    };
    expect(imports.filter((line) => !allowed(line))).toEqual([]);
  });

  it('copies nothing of Bosun into the image', () => {
    const dockerfile = readFileSync(`${DIR}Dockerfile`, 'utf8');
    const copies = [...dockerfile.matchAll(/^COPY\s+(?!--from)(.+)\s+\S+$/gm)].flatMap((m) =>
      m[1]?.split(/\s+/),
    );
    expect(copies.sort()).toEqual([
      '.npmrc',
      'package-lock.json',
      'package.json',
      'package.json',
      'test/e2e/images/example-trainer',
    ]);
  });
});
