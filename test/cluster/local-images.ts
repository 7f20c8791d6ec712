// Builds the project's container images without Docker or a registry, from the same inputs as their
// Dockerfiles, and imports them into the test node's containerd.
//
//   node test/cluster/local-images.ts            build what changed (make images-local)
//   node test/cluster/local-images.ts --import   and import into the running `make cluster-up` node
//
// An image is three kinds of layers, each cached by the hash of its inputs:
//   base  the Node.js binary of this repository's `node` package and the shared libraries it needs,
//         passwd/group with the non-root user, CA certificates   (stands for node:24-slim)
//   deps  /app/node_modules from `npm ci --omit=dev`               (the Dockerfile's deps stage)
//   app   one layer per COPY of the Dockerfile's final stage
// The entry point, user, workdir and environment come from the Dockerfile's final stage, which is the
// one source of truth. Work is skipped when the inputs' hash has not changed.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { parseFinalStage } from './dockerfile.ts';
import { cacheDir, readPinnedVersions, repoRoot } from './paths.ts';
import { isAlive } from './process.ts';

const run = promisify(execFile);
const exec = (command: string, args: string[], cwd?: string) =>
  run(command, args, {
    cwd,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
  });

/** The user every image runs as (Pod Security "restricted" wants non-root). */
export const imageUser = '65532:65532';
export const pauseImage = 'registry.k8s.io/pause:3.10.1';
export const imageRef = (name: string) => `localhost/bosun/${name}:local`;

const imagesDir = () => join(cacheDir(), 'images');
const layoutDir = () => join(imagesDir(), 'oci');
const workDir = () => join(imagesDir(), 'work');
const log = (message: string) => console.error(`[images] ${message}`);

export interface LocalImage {
  name: string;
  ref: string;
  /** docker-archive tarball, ready for `ctr images import`. */
  archive: string;
  hash: string;
}

function sha256(...parts: (string | Buffer)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex');
}

/** Files below `path` (or `path` itself), sorted, skipping dependency folders. */
function listFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .filter((entry) => entry.name !== 'node_modules')
    .flatMap((entry) => listFiles(join(path, entry.name)))
    .sort();
}

function hashPaths(paths: string[]): string {
  const hash = createHash('sha256');
  for (const file of paths.flatMap(listFiles)) {
    hash.update(relative(repoRoot, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

/** One build at a time per machine: umoci layouts are not safe for concurrent writers. */
async function withLock<T>(body: () => Promise<T>): Promise<T> {
  const lock = join(imagesDir(), 'lock');
  mkdirSync(imagesDir(), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      const owner = Number(readFileSync(join(lock, 'pid'), 'utf8').trim() || '0');
      if (owner && !isAlive(owner)) rmSync(lock, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    return await body();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

async function tags(): Promise<Set<string>> {
  if (!existsSync(join(layoutDir(), 'index.json'))) {
    await exec('umoci', ['init', '--layout', layoutDir()]);
  }
  const { stdout } = await exec('umoci', ['ls', '--layout', layoutDir()]);
  return new Set(stdout.split('\n').filter(Boolean));
}

const image = (tag: string) => `${layoutDir()}:${tag}`;

/** Shared libraries an ELF file loads, from ldd: [path as the loader looks for it, real file]. */
async function sharedLibraries(file: string): Promise<[string, string][]> {
  const { stdout } = await exec('ldd', [file]).catch(() => ({ stdout: '' }));
  const libs: [string, string][] = [];
  for (const line of stdout.split('\n')) {
    const path = /=>\s+(\/\S+)/.exec(line)?.[1] ?? /^\s*(\/\S+)\s+\(/.exec(line)?.[1];
    if (path) libs.push([path, realpathSync(path)]);
  }
  return libs;
}

/** Copies libraries into a merged-/usr tree (lib -> usr/lib, lib64 -> usr/lib64), as Debian lays it out. */
function placeLibraries(rootfs: string, libs: [string, string][]): void {
  for (const [wanted, real] of libs) {
    const target = join(rootfs, 'usr', wanted.replace(/^\/(usr\/)?/, ''));
    mkdirSync(dirname(target), { recursive: true });
    if (!existsSync(target)) copyFileSync(real, target);
  }
}

const fontsDir = '/usr/share/fonts/truetype/dejavu';
// The cache goes to /tmp, the one writable place (an emptyDir) in a read-only root filesystem.
const fontsConf = `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig><dir>/usr/share/fonts</dir><cachedir>/tmp/fontconfig</cachedir></fontconfig>
`;

async function buildBase(known: Set<string>): Promise<string> {
  const nodeBinary = realpathSync(join(repoRoot, 'node_modules', '.bin', 'node'));
  const libs = await sharedLibraries(nodeBinary);
  const passwd =
    'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n';
  const group = 'root:x:0:\nnonroot:x:65532:\n';
  const caBundle = '/etc/ssl/certs/ca-certificates.crt';
  // Images that draw text (the trainers' charts, rendered by sharp) install fonts-dejavu-core in
  // their Dockerfile; the local base carries the same fonts and a minimal fontconfig setup.
  const fonts = listFiles(fontsDir).filter((f) => f.endsWith('.ttf'));
  const tag = `base-${sha256(readFileSync(nodeBinary), JSON.stringify(libs), passwd, group, readFileSync(caBundle), fontsConf, ...fonts).slice(0, 16)}`;
  if (known.has(tag)) return tag;
  log('building the base layer (Node.js runtime)');
  const rootfs = join(workDir(), tag);
  rmSync(rootfs, { recursive: true, force: true });
  for (const d of ['usr/local/bin', 'usr/lib', 'usr/lib64', 'etc/ssl/certs', 'tmp', 'app', 'home/nonroot']) {
    mkdirSync(join(rootfs, d), { recursive: true });
  }
  symlinkSync('usr/lib', join(rootfs, 'lib'));
  symlinkSync('usr/lib64', join(rootfs, 'lib64'));
  copyFileSync(nodeBinary, join(rootfs, 'usr/local/bin/node'));
  chmodSync(join(rootfs, 'usr/local/bin/node'), 0o755);
  placeLibraries(rootfs, libs);
  writeFileSync(join(rootfs, 'etc/passwd'), passwd);
  writeFileSync(join(rootfs, 'etc/group'), group);
  copyFileSync(caBundle, join(rootfs, 'etc/ssl/certs/ca-certificates.crt'));
  mkdirSync(join(rootfs, 'etc/fonts'), { recursive: true });
  writeFileSync(join(rootfs, 'etc/fonts/fonts.conf'), fontsConf);
  for (const font of fonts) {
    mkdirSync(join(rootfs, dirname(font)), { recursive: true });
    copyFileSync(font, join(rootfs, font));
  }
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  await exec('umoci', ['new', '--image', image(tag)]);
  await exec('umoci', ['insert', '--image', image(tag), rootfs, '/']);
  await exec('umoci', [
    'config',
    '--image',
    image(tag),
    '--config.env',
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    '--config.env',
    'NODE_ENV=production',
  ]);
  rmSync(rootfs, { recursive: true, force: true });
  return tag;
}

/** Platform binaries that a Linux x86-64 image never loads (onnxruntime-node and jpeg-turbo ship all of them). */
function pruneForeignBinaries(nodeModules: string): void {
  const onnxBin = join(nodeModules, 'onnxruntime-node', 'bin', 'napi-v6');
  for (const foreign of ['darwin', 'win32', join('linux', 'arm64')]) {
    rmSync(join(onnxBin, foreign), { recursive: true, force: true });
  }
  const jpegBin = join(nodeModules, '@julusian', 'jpeg-turbo', 'prebuilds');
  for (const platform of existsSync(jpegBin) ? readdirSync(jpegBin) : [])
    if (platform !== 'jpeg-turbo-linux-x64')
      rmSync(join(jpegBin, platform), { recursive: true, force: true });
}

async function buildDeps(known: Set<string>, base: string): Promise<string> {
  const inputs = ['package.json', 'package-lock.json', '.npmrc'].map((f) => readFileSync(join(repoRoot, f)));
  const tag = `deps-${sha256(base, ...inputs).slice(0, 16)}`;
  if (known.has(tag)) return tag;
  log('building the dependency layer (npm ci --omit=dev)');
  const staging = join(workDir(), tag);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(join(staging, 'app'), { recursive: true });
  for (const f of ['package.json', 'package-lock.json', '.npmrc'])
    copyFileSync(join(repoRoot, f), join(staging, 'app', f));
  // Scripts stay off: onnxruntime-node's would download CUDA files; sharp ships prebuilt packages.
  await exec(
    'npm',
    ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'],
    join(staging, 'app'),
  );
  const nodeModules = join(staging, 'app', 'node_modules');
  pruneForeignBinaries(nodeModules);
  // Native addons may need libraries beyond what Node itself links.
  const natives = listFiles(nodeModules).filter((f) => /\.(node|so(\.\d+)*)$/.test(f));
  const libs = (await Promise.all(natives.map(sharedLibraries))).flat();
  placeLibraries(
    staging,
    libs.filter(([wanted]) => !wanted.startsWith(nodeModules)),
  );
  for (const f of ['package-lock.json', '.npmrc']) rmSync(join(staging, 'app', f));
  await exec('umoci', ['tag', '--image', image(base), tag]);
  await exec('umoci', ['insert', '--image', image(tag), staging, '/']);
  rmSync(staging, { recursive: true, force: true });
  return tag;
}

export interface ImageSource {
  name: string;
  dockerfile: string;
}

/** Every folder with a Dockerfile under images/ (product) and test/e2e/images/ (test fixtures). */
export function discoverImages(): ImageSource[] {
  return ['images', join('test', 'e2e', 'images')].flatMap((folder) => {
    const root = join(repoRoot, folder);
    if (!existsSync(root)) return [];
    return readdirSync(root)
      .filter((name) => existsSync(join(root, name, 'Dockerfile')))
      .map((name) => ({ name, dockerfile: join(root, name, 'Dockerfile') }));
  });
}

async function buildImage(source: ImageSource, deps: string, known: Set<string>): Promise<LocalImage> {
  const text = readFileSync(source.dockerfile, 'utf8');
  const stage = parseFinalStage(text);
  const copied = stage.copies.flatMap((c) => c.sources.map((s) => join(repoRoot, s)));
  const hash = sha256(deps, text, hashPaths(copied)).slice(0, 16);
  const ref = imageRef(source.name);
  const archive = join(imagesDir(), `${source.name}.tar`);
  const stamp = join(imagesDir(), `${source.name}.hash`);
  const tag = `image-${source.name}`;
  if (existsSync(archive) && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash && known.has(tag)) {
    return { name: source.name, ref, archive, hash };
  }
  log(`building ${ref}`);
  if (known.has(tag)) await exec('umoci', ['rm', '--image', image(tag)]);
  await exec('umoci', ['tag', '--image', image(deps), tag]);
  const staging = join(workDir(), tag);
  for (const copy of stage.copies) {
    for (const s of copy.sources) {
      const from = join(repoRoot, s);
      const to =
        copy.intoDirectory && !statSync(from).isDirectory()
          ? join(copy.destination, basename(s))
          : copy.destination;
      // Stage a copy without node_modules, so a local install never ends up in the layer.
      rmSync(staging, { recursive: true, force: true });
      cpSync(from, staging, { recursive: true, filter: (p) => basename(p) !== 'node_modules' });
      await exec('umoci', ['insert', '--image', image(tag), staging, to]);
    }
  }
  rmSync(staging, { recursive: true, force: true });
  const config = ['config', '--image', image(tag), '--config.workingdir', stage.workdir];
  config.push('--config.user', stage.user ?? imageUser);
  config.push('--clear=config.entrypoint', '--clear=config.cmd');
  for (const part of stage.entrypoint) config.push('--config.entrypoint', part);
  for (const part of stage.cmd) config.push('--config.cmd', part);
  for (const [key, value] of Object.entries(stage.env)) config.push('--config.env', `${key}=${value}`);
  await exec('umoci', config);
  rmSync(archive, { force: true });
  // The name in the docker-archive destination is what makes `ctr import` register the image.
  await exec('skopeo', [
    '--insecure-policy',
    'copy',
    `oci:${layoutDir()}:${tag}`,
    `docker-archive:${archive}:${ref}`,
  ]);
  writeFileSync(stamp, hash);
  return { name: source.name, ref, archive, hash };
}

/** The sandbox ("pause") image, compiled from the source that ships in the Kubernetes module. */
async function buildPause(known: Set<string>): Promise<LocalImage> {
  const version = readPinnedVersions().kubernetes;
  const { stdout } = await exec('go', ['mod', 'download', '-json', `k8s.io/kubernetes@v${version}`], '/');
  const moduleDir = (JSON.parse(stdout) as { Dir: string }).Dir;
  const source = join(moduleDir, 'build', 'pause', 'linux', 'pause.c');
  const hash = sha256(readFileSync(source), pauseImage).slice(0, 16);
  const archive = join(imagesDir(), 'pause.tar');
  const stamp = join(imagesDir(), 'pause.hash');
  const tag = 'image-pause';
  if (existsSync(archive) && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash && known.has(tag)) {
    return { name: 'pause', ref: pauseImage, archive, hash };
  }
  log(`building ${pauseImage}`);
  const staging = join(workDir(), 'pause');
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  await exec('gcc', [
    '-Os',
    '-Wall',
    '-Werror',
    '-static',
    `-DVERSION=v${version}-bosun`,
    '-o',
    join(staging, 'pause'),
    source,
  ]);
  if (known.has(tag)) await exec('umoci', ['rm', '--image', image(tag)]);
  await exec('umoci', ['new', '--image', image(tag)]);
  await exec('umoci', ['insert', '--image', image(tag), join(staging, 'pause'), '/pause']);
  await exec('umoci', [
    'config',
    '--image',
    image(tag),
    '--config.entrypoint',
    '/pause',
    '--config.user',
    '65535:65535',
  ]);
  rmSync(archive, { force: true });
  await exec('skopeo', [
    '--insecure-policy',
    'copy',
    `oci:${layoutDir()}:${tag}`,
    `docker-archive:${archive}:${pauseImage}`,
  ]);
  writeFileSync(stamp, hash);
  rmSync(staging, { recursive: true, force: true });
  return { name: 'pause', ref: pauseImage, archive, hash };
}

/** Builds the pause image and every project image whose inputs changed. */
export async function buildLocalImages(): Promise<LocalImage[]> {
  return withLock(async () => {
    mkdirSync(workDir(), { recursive: true });
    const known = await tags();
    const pause = await buildPause(known);
    const base = await buildBase(known);
    const deps = await buildDeps(known, base);
    const built = [pause];
    for (const source of discoverImages()) built.push(await buildImage(source, deps, known));
    // Drop layers no current image uses.
    const keep = new Set([base, deps, ...built.map((b) => `image-${b.name}`)]);
    for (const tag of await tags()) if (!keep.has(tag)) await exec('umoci', ['rm', '--image', image(tag)]);
    await exec('umoci', ['gc', '--layout', layoutDir()]);
    return built;
  });
}

/** Imports into the node's containerd (namespace k8s.io) the images it does not have at this hash. */
export async function importImages(containerdSocket: string, images: LocalImage[]): Promise<string[]> {
  const ctr = (args: string[]) =>
    exec('ctr', ['--address', containerdSocket, '--namespace', 'k8s.io', ...args]);
  const stampFile = join(cacheDir(), 'node', 'imported.json');
  let stamps: Record<string, string> = {};
  try {
    stamps = JSON.parse(readFileSync(stampFile, 'utf8')) as Record<string, string>;
  } catch {
    // Nothing imported yet.
  }
  const present = new Set((await ctr(['images', 'list', '--quiet'])).stdout.split('\n'));
  const imported: string[] = [];
  for (const img of images) {
    if (present.has(img.ref) && stamps[img.ref] === img.hash) continue;
    await ctr(['images', 'import', img.archive]);
    stamps[img.ref] = img.hash;
    imported.push(img.ref);
  }
  writeFileSync(stampFile, JSON.stringify(stamps, null, 2));
  return imported;
}

async function main(): Promise<void> {
  const started = Date.now();
  const images = await buildLocalImages();
  for (const img of images) console.log(`${img.ref}  ${img.archive}`);
  if (process.argv.includes('--import')) {
    const { readEnvironment } = await import('./environment.ts');
    const pointer = join(cacheDir(), 'cluster-up');
    const socket = existsSync(pointer)
      ? readEnvironment(readFileSync(pointer, 'utf8').trim()).node?.containerdSocket
      : undefined;
    if (!socket) throw new Error('no running node to import into: start one with make cluster-up');
    const imported = await importImages(socket, images);
    console.log(imported.length ? `imported ${imported.join(', ')}` : 'the node already has every image');
  }
  console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
}
