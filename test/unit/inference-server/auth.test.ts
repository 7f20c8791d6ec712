import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TokenAuth } from '../../../images/inference-server/auth.ts';

describe('bearer tokens', () => {
  it('names the client of a valid token and nobody for anything else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokens-'));
    writeFileSync(join(dir, 'alice'), 'secret-a\n');
    writeFileSync(join(dir, 'bob'), 'secret-b');
    writeFileSync(join(dir, '.hidden'), 'secret-h');
    const auth = await TokenAuth.fromDirectory(dir);
    expect(auth.check('Bearer secret-a')).toBe('alice');
    expect(auth.check('bearer   secret-b')).toBe('bob');
    for (const header of [
      undefined,
      '',
      'Bearer',
      'Bearer secret-h',
      'Bearer secret-a extra',
      'Token secret-a',
      'Bearer secret-',
    ])
      expect(auth.check(header)).toBeUndefined();
  });
});
