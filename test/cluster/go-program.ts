// Builds a Go program of this repository (a folder with its own go.mod) from the Go module proxy and
// caches the binary outside the work tree, keyed by the digest of its go.mod, go.sum and Go files:
// a second build of the same sources finds the binary and builds nothing.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir } from './paths.ts';

const run = promisify(execFile);

/** Where the machine's Go lives (the Makefile puts it on PATH too). */
const GO_ROOT_BIN = '/usr/local/go/bin';

function sourceDigest(dir: string): string {
  const hash = createHash('sha256');
  const files = readdirSync(dir)
    .filter((f) => f === 'go.mod' || f === 'go.sum' || f.endsWith('.go'))
    .sort();
  for (const f of files)
    hash
      .update(f)
      .update('\0')
      .update(readFileSync(join(dir, f)))
      .update('\0');
  return hash.digest('hex').slice(0, 16);
}

/** Returns the path of the built binary of the main package in `dir`, building it when missing. */
export async function buildGoProgram(dir: string, name: string): Promise<string> {
  const out = join(cacheDir(), 'bin', `${name}-${sourceDigest(dir)}`);
  const binary = join(out, name);
  if (existsSync(binary)) return binary;
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    await run('go', ['build', '-trimpath', '-ldflags=-s -w', '-o', join(tmp, name), '.'], {
      cwd: dir,
      env: {
        ...process.env,
        PATH: `${GO_ROOT_BIN}:${process.env.PATH ?? ''}`,
        GOTOOLCHAIN: 'local',
        GOFLAGS: '-mod=readonly',
        CGO_ENABLED: '0',
      },
      maxBuffer: 16 << 20,
    });
    // Publish atomically: a half-built directory never looks complete. A build that finished first
    // (another test file building the same sources) wins and may be running already.
    if (existsSync(binary)) rmSync(tmp, { recursive: true, force: true });
    else {
      rmSync(out, { recursive: true, force: true });
      renameSync(tmp, out);
    }
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`go build in ${dir} failed:\n${stderr.slice(-4000)}`);
  }
  return binary;
}
