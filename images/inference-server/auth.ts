// Bearer-token authentication. Tokens come from a mounted Secret: one file per key, the file's
// content is a token and its name names the client in logs. Tokens are compared as sha256
// digests with timingSafeEqual, against every token, so timing reveals neither a token nor a match.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../lib/contract/errors.ts';

interface Token {
  client: string;
  digest: Buffer;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export class TokenAuth {
  #tokens: Token[] = [];
  readonly #dir: string;

  private constructor(dir: string) {
    this.#dir = dir;
  }

  static async fromDirectory(dir: string): Promise<TokenAuth> {
    const auth = new TokenAuth(dir);
    await auth.reload();
    if (auth.#tokens.length === 0)
      throw new UserError(
        'ConfigInvalid',
        `BOSUN_AUTH_TOKENS_DIR ${dir} holds no tokens: every request would be refused`,
      );
    return auth;
  }

  /** Re-reads the directory (the kubelet updates a mounted Secret in place); keeps the old tokens on error. */
  async reload(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch (e) {
      throw new UserError(
        'ConfigInvalid',
        `cannot read BOSUN_AUTH_TOKENS_DIR ${this.#dir}: ${(e as Error).message}`,
      );
    }
    const tokens: Token[] = [];
    // A Secret volume also holds ..data and timestamped dot folders; only plain keys are tokens.
    for (const name of names.filter((n) => !n.startsWith('.')).sort()) {
      let text: string;
      try {
        text = (await readFile(join(this.#dir, name), 'utf8')).trim();
      } catch {
        continue;
      }
      if (text !== '') tokens.push({ client: name, digest: digest(text) });
    }
    if (tokens.length > 0) this.#tokens = tokens;
  }

  /** The client name of a valid `Authorization: Bearer <token>` header, or undefined. */
  check(header: string | undefined): string | undefined {
    const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    const given = digest(match?.[1] ?? '');
    let client: string | undefined;
    for (const t of this.#tokens) if (timingSafeEqual(t.digest, given) && match) client ??= t.client;
    return client;
  }
}
