// `make crds`: writes every file generated from the API schemas (see generated-files.ts) and
// removes CRD files of kinds that no longer exist. Running it twice changes nothing.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_DOC_PATH, CHART_CRD_DIRECTORY, CRD_DIRECTORIES, generatedFiles } from './generated-files.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const files = generatedFiles(readFileSync(join(root, API_DOC_PATH), 'utf8'));
let changed = 0;
for (const [path, content] of files) {
  const file = join(root, path);
  if (existsSync(file) && readFileSync(file, 'utf8') === content) continue;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  changed++;
  console.log(`wrote ${path}`);
}
for (const dir of [...CRD_DIRECTORIES, CHART_CRD_DIRECTORY]) {
  for (const name of readdirSync(join(root, dir))) {
    if (name.endsWith('.yaml') && name !== 'kustomization.yaml' && !files.has(`${dir}/${name}`)) {
      rmSync(join(root, dir, name));
      changed++;
      console.log(`removed ${dir}/${name}`);
    }
  }
}
console.log(changed ? `${changed} file(s) updated` : 'CRDs, kustomization and docs/api.md are up to date');
