import { describe, expect, it } from 'vitest';
import { SESSION_POLICY_LIMIT, sessionPolicy } from '../../../lib/store/policy.ts';

describe('the session policy of a writer', () => {
  it('grants Get on what it reads and writes, Put only where it writes, and listing only under those', () => {
    const policy = JSON.parse(
      sessionPolicy({
        bucket: 'bosun',
        write: ['runs/a/train-1/'],
        read: ['datasets/a/pets/', 'objects/a/'],
      }),
    );
    expect(policy).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'ReadOwnPrefixes',
          Effect: 'Allow',
          Action: ['s3:GetObject'],
          Resource: [
            'arn:aws:s3:::bosun/datasets/a/pets/*',
            'arn:aws:s3:::bosun/objects/a/*',
            'arn:aws:s3:::bosun/runs/a/train-1/*',
          ],
        },
        {
          Sid: 'WriteOwnPrefixes',
          Effect: 'Allow',
          Action: ['s3:PutObject'],
          Resource: ['arn:aws:s3:::bosun/runs/a/train-1/*'],
        },
        {
          Sid: 'ListOwnPrefixes',
          Effect: 'Allow',
          Action: ['s3:ListBucket'],
          Resource: ['arn:aws:s3:::bosun'],
          Condition: {
            StringLike: { 's3:prefix': ['datasets/a/pets/*', 'objects/a/*', 'runs/a/train-1/*'] },
          },
        },
      ],
    });
    const actions = policy.Statement.flatMap((s: { Action: string[] }) => s.Action);
    expect(actions).not.toContain('s3:DeleteObject');
    expect(actions.some((a: string) => a.includes('*'))).toBe(false);
  });

  it('leaves Put out of a read-only scope and lists each prefix once', () => {
    const policy = JSON.parse(
      sessionPolicy({ bucket: 'bosun', write: [], read: ['imports/a/', 'imports/a/'] }),
    );
    expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual([
      'ReadOwnPrefixes',
      'ListOwnPrefixes',
    ]);
    expect(policy.Statement[0].Resource).toEqual(['arn:aws:s3:::bosun/imports/a/*']);
  });

  it.each([
    [{ bucket: 'bosun', write: ['runs/a/*'], read: [] }, /invalid write prefix/],
    [{ bucket: 'bosun', write: ['runs/../b/'], read: [] }, /invalid write prefix/],
    [{ bucket: 'bosun', write: [], read: ['models/a'] }, /a prefix must end with "\/"/],
    [{ bucket: 'Bosun', write: ['runs/a/'], read: [] }, /invalid bucket/],
    [{ bucket: 'bosun', write: [], read: [] }, 'a session policy needs at least one prefix to read or write'],
  ])('refuses %j', (scope, message) => {
    expect(() => sessionPolicy(scope)).toThrow(message);
  });

  it('refuses a policy longer than STS accepts, with what to do about it', () => {
    const read = Array.from({ length: 40 }, (_, i) => `datasets/a/dataset-with-a-long-name-${i}/`);
    expect(() => sessionPolicy({ bucket: 'bosun', write: ['runs/a/r/'], read })).toThrow(
      new RegExp(
        `STS accepts at most ${SESSION_POLICY_LIMIT}: scope the workload to fewer, shorter prefixes`,
      ),
    );
  });
});
