// Reads what the local image build needs from an image's Dockerfile (its final stage), so the
// Dockerfile users build with stays the one source of truth for entry point, user and contents.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.ts';

export interface DockerfileCopy {
  /** Paths in the build context (the repository root). */
  sources: string[];
  /** Absolute path in the image. */
  destination: string;
  /** Files land inside the destination (it ends in `/` or there are several sources), as in Docker. */
  intoDirectory: boolean;
}

export interface FinalStage {
  workdir: string;
  user?: string;
  entrypoint: string[];
  cmd: string[];
  env: Record<string, string>;
  /** COPY instructions from the build context (COPY --from=<stage> is satisfied by the base layers). */
  copies: DockerfileCopy[];
}

/** Joins continuation lines and drops comments and blank lines. */
function instructions(text: string): string[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  return joined
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

function parseCommand(value: string, line: string): string[] {
  if (value.startsWith('[')) {
    const parsed: unknown = JSON.parse(value);
    if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === 'string')) {
      throw new Error(`not a JSON array of strings: ${line}`);
    }
    return parsed;
  }
  // Shell form runs through /bin/sh, which the local images do not have.
  throw new Error(`use the exec (JSON) form, the images have no shell: ${line}`);
}

function resolve(workdir: string, path: string): string {
  if (path.startsWith('/')) return path;
  const joined = `${workdir.replace(/\/$/, '')}/${path.replace(/^\.\/?/, '')}`;
  return joined.replace(/\/$/, '') || '/';
}

export function parseFinalStage(text: string): FinalStage {
  let stage: FinalStage | undefined;
  for (const line of instructions(text)) {
    const match = /^(\w+)\s+(.*)$/.exec(line);
    if (!match?.[1] || match[2] === undefined) continue;
    const keyword = match[1].toUpperCase();
    const value = match[2].trim();
    if (keyword === 'FROM') {
      stage = { workdir: '/', entrypoint: [], cmd: [], env: {}, copies: [] };
      continue;
    }
    if (!stage) throw new Error(`instruction before FROM: ${line}`);
    switch (keyword) {
      case 'WORKDIR':
        stage.workdir = resolve(stage.workdir, value);
        break;
      case 'USER':
        stage.user = value;
        break;
      case 'ENTRYPOINT':
        stage.entrypoint = parseCommand(value, line);
        break;
      case 'CMD':
        stage.cmd = parseCommand(value, line);
        break;
      case 'ENV':
        for (const pair of value.match(/(\S+?)=("[^"]*"|\S*)/g) ?? []) {
          const at = pair.indexOf('=');
          stage.env[pair.slice(0, at)] = pair.slice(at + 1).replace(/^"(.*)"$/, '$1');
        }
        break;
      case 'COPY': {
        const words = value.split(/\s+/);
        if (words.some((w) => w.startsWith('--from'))) break;
        const paths = words.filter((w) => !w.startsWith('--'));
        const destination = paths.pop();
        if (!destination || paths.length === 0)
          throw new Error(`COPY needs a source and a destination: ${line}`);
        stage.copies.push({
          sources: paths,
          destination: resolve(stage.workdir, destination),
          intoDirectory: destination.endsWith('/') || paths.length > 1,
        });
        break;
      }
      default:
        break;
    }
  }
  if (!stage) throw new Error('no FROM instruction');
  return stage;
}

/** The options an entry point of the form `node <flags...> <script>` gives Node (V8 settings). */
export function nodeFlags(stage: FinalStage): string[] {
  if (stage.entrypoint[0] !== 'node') return [];
  const args = stage.entrypoint.slice(1);
  const script = args.findIndex((arg) => !arg.startsWith('-'));
  return script === -1 ? args : args.slice(0, script);
}

/** The final stage of `images/<name>/Dockerfile`. */
export function imageStage(name: string): FinalStage {
  return parseFinalStage(readFileSync(join(repoRoot, 'images', name, 'Dockerfile'), 'utf8'));
}
