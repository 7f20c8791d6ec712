// Proves MinIO is real: put, get, copy and list through the `minio` client.
import { CopyConditions } from 'minio';
import { describe, expect, it } from 'vitest';
import { minioClient, uniqueName } from '../clients.ts';

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

describe('MinIO', () => {
  it('puts, gets, copies and lists objects', async () => {
    const client = minioClient();
    const bucket = uniqueName('smoke');
    await client.makeBucket(bucket);
    await client.putObject(bucket, 'a/one.txt', Buffer.from('hello'));
    expect(await readAll(await client.getObject(bucket, 'a/one.txt'))).toBe('hello');

    await client.copyObject(bucket, 'b/two.txt', `/${bucket}/a/one.txt`, new CopyConditions());
    expect(await readAll(await client.getObject(bucket, 'b/two.txt'))).toBe('hello');

    const names: string[] = [];
    for await (const item of client.listObjectsV2(bucket, '', true))
      names.push((item as { name: string }).name);
    expect(names.sort()).toEqual(['a/one.txt', 'b/two.txt']);

    const stat = await client.statObject(bucket, 'b/two.txt');
    expect(stat.size).toBe(5);
  });
});
