// Copies an object from the artifact store to local disk, checking its sha256 before the file
// appears under its final name, so a reader never sees a partial or corrupt download. The bytes
// stream through to disk: an object of any size needs no more memory than a few chunks.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { UserError } from '../contract/errors.ts';
import type { ArtifactStore } from './client.ts';
import { checkSha256 } from './keys.ts';
import { DigestStream } from './manifest.ts';

/** The sha256 of a local file, or undefined when it does not exist. */
export async function fileSha256(path: string): Promise<string | undefined> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return hash.digest('hex');
}

/**
 * Downloads `key` to `path` unless a file with the expected digest is already there (a restarted
 * container keeps its emptyDir). The object is hashed while it streams to `<path>.partial`, which
 * is renamed to `path` only when the digest matches. Throws ArtifactInvalid when it does not.
 */
export async function downloadVerified(
  store: ArtifactStore,
  key: string,
  sha256: string,
  path: string,
): Promise<{ size: number; cached: boolean }> {
  checkSha256(sha256);
  const existing = await fileSha256(path);
  if (existing === sha256) return { size: -1, cached: true };
  const partial = `${path}.partial`;
  const digest = new DigestStream();
  try {
    await pipeline(await store.openObject(key), digest, createWriteStream(partial));
    const actual = digest.digest();
    if (actual !== sha256)
      throw new UserError(
        'ArtifactInvalid',
        `s3://${store.bucket}/${key} has sha256 ${actual}, expected ${sha256}: the artifact changed or is corrupt`,
      );
    await rename(partial, path);
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  }
  return { size: digest.size, cached: false };
}
