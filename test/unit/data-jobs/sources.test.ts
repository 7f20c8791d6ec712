import { describe, expect, it } from 'vitest';
import { headersFromEnv, urlForRecord } from '../../../images/data-jobs/sources/http.ts';
import { classifyPostgresError } from '../../../images/data-jobs/sources/postgres.ts';
import { blobOfKey } from '../../../images/data-jobs/sources/s3-location.ts';
import { RetryableError, UserError } from '../../../lib/contract/errors.ts';

const outcome = (e: Error) => [
  e instanceof RetryableError ? 'retry' : e instanceof UserError ? 'user' : 'other',
  (e as UserError).reason,
  e.message,
];

describe('postgres errors', () => {
  const url = 'postgres://collector:s3cr3t-pw@db:5432/shop';
  const classify = (e: object) => outcome(classifyPostgresError(e, 'served', [url, 's3cr3t-pw']));

  it('that a retry may fix are SourceUnavailable', () => {
    expect(classify({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 10.0.0.1:5432' })).toEqual([
      'retry',
      'SourceUnavailable',
      'postgres source served: cannot reach the database: connect ECONNREFUSED 10.0.0.1:5432',
    ]);
    expect(classify({ code: '57P03', message: 'the database system is starting up' })[1]).toBe(
      'SourceUnavailable',
    );
    expect(classify({ code: '53300', message: 'too many connections' })[1]).toBe('SourceUnavailable');
    expect(classify({ message: 'Connection terminated due to connection timeout' })[1]).toBe(
      'SourceUnavailable',
    );
  });

  it('about the credentials or the query are user errors, with PostgreSQL’s message', () => {
    expect(
      classify({ code: '28P01', message: 'password authentication failed for user "collector"' })[1],
    ).toBe('SourceAccessDenied');
    expect(classify({ code: '3D000', message: 'database "shop" does not exist' })[1]).toBe(
      'SourceAccessDenied',
    );
    expect(
      classify({
        code: 'SELF_SIGNED_CERT_IN_CHAIN',
        message: 'self-signed certificate in certificate chain',
      }),
    ).toEqual([
      'user',
      'SourceAccessDenied',
      'postgres source served: the TLS connection to the database failed: self-signed certificate in certificate chain',
    ]);
    expect(classify({ message: 'The server does not support SSL connections' })[1]).toBe(
      'SourceAccessDenied',
    );
    expect(
      classify({
        code: '42703',
        message: 'column "lable" does not exist',
        position: '8',
        hint: 'Perhaps "label".',
      }),
    ).toEqual([
      'user',
      'QueryInvalid',
      'postgres source served: PostgreSQL refused the query at character 8: column "lable" does not exist (hint: Perhaps "label".)',
    ]);
    expect(classify({ code: '57014', message: 'canceling statement due to statement timeout' })[1]).toBe(
      'QueryTimeout',
    );
    expect(classify({ code: '25006', message: 'cannot execute DELETE in a read-only transaction' })[2]).toBe(
      'postgres source served: the query must only read: cannot execute DELETE in a read-only transaction',
    );
  });

  it('never carry the connection URL or its password', () => {
    const [, , message] = classify({ message: `could not connect to ${url} (password s3cr3t-pw)` });
    expect(message).not.toContain('s3cr3t-pw');
    expect(message).toContain('***');
  });
});

describe('http headers from the Secret', () => {
  it('are the variables under the source prefix, "_" sent as "-"', () => {
    const env = {
      BOSUN_SOURCE_1_HEADER_Authorization: 'Bearer t',
      BOSUN_SOURCE_1_HEADER_X_Api_Key: 'k',
      BOSUN_SOURCE_2_HEADER_Other: 'no',
    };
    expect(headersFromEnv(env, 'BOSUN_SOURCE_1_HEADER_')).toEqual({
      Authorization: 'Bearer t',
      'X-Api-Key': 'k',
    });
  });

  it('refuse a value that would start another header', () => {
    expect(() => headersFromEnv({ P_A: 'x\r\nInjected: y' }, 'P_')).toThrow(/spans lines/);
  });

  it('records a URL without its query', () => {
    expect(urlForRecord('https://files.example/a/b.csv?X-Amz-Signature=abc')).toBe(
      'https://files.example/a/b.csv',
    );
  });
});

describe('blob keys', () => {
  const sha = 'cd'.repeat(32);
  it("are referenced only when they are the namespace's own", () => {
    expect(blobOfKey('team-a', `objects/team-a/sha256/cd/${sha}`)).toBe(sha);
    expect(blobOfKey('team-a', `objects/team-b/sha256/cd/${sha}`)).toBeUndefined();
    expect(blobOfKey('team-a', `objects/team-a/sha256/ab/${sha}`)).toBeUndefined();
    expect(blobOfKey('team-a', `imports/team-a/sha256/cd/${sha}`)).toBeUndefined();
  });
});
