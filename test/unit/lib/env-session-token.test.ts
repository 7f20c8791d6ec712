import { describe, expect, it } from 'vitest';
import { parseStoreConfig } from '../../../lib/contract/env.ts';

const env = {
  BOSUN_STORE_ENDPOINT: 'http://minio:9000',
  BOSUN_STORE_BUCKET: 'bosun',
  BOSUN_STORE_ACCESS_KEY: 'access',
  BOSUN_STORE_SECRET_KEY: 'secret',
};

describe('store credentials from the environment', () => {
  it('carries the session token of scoped credentials', () => {
    expect(parseStoreConfig({ ...env, BOSUN_STORE_SESSION_TOKEN: ' token ' }).sessionToken).toBe('token');
  });

  it('has no session token with long-lived credentials', () => {
    expect(parseStoreConfig(env)).not.toHaveProperty('sessionToken');
    expect(parseStoreConfig({ ...env, BOSUN_STORE_SESSION_TOKEN: '' })).not.toHaveProperty('sessionToken');
  });
});
