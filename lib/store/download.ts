// Copies an object from the artifact store to local disk, checking its sha256 before the file
// appears under its final name, so a reader never sees a partial or corrupt download.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { UserError } from '../contract/errors.ts';
import type { ArtifactStore } from './client.ts';
import { checkSha256 } from './keys.ts';

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
 * container keeps its emptyDir). Throws ArtifactInvalid when the object's bytes do not match.
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
  const data = await store.getObject(key);
  const actual = createHash('sha256').update(data).digest('hex');
  if (actual !== sha256)
    throw new UserError(
      'ArtifactInvalid',
      `s3://${store.bucket}/${key} has sha256 ${actual}, expected ${sha256}: the artifact changed or is corrupt`,
    );
  const partial = `${path}.partial`;
  try {
    await writeFile(partial, data);
    await rename(partial, path);
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  }
  return { size: data.length, cached: false };
}
