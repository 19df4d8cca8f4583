import { randomBytes } from 'node:crypto';
import type { Config } from '../../config.js';
import { hashSecret } from '../../crypto/secrets.js';
import type { AppError } from '../../errors.js';

// Session IDs, CSRF tokens, invitation, setup and single sign-on state tokens: random secrets the
// database knows only by their HMAC, so a stolen row opens nothing and no look-up compares secret bytes.

/** A new token: 32 random bytes, base64url. */
export const newToken = (): string => randomBytes(32).toString('base64url');

/** What the database keeps of a token, and finds it by. */
export const hashToken = (config: Pick<Config, 'secretPepper'>, token: string): Buffer => hashSecret(config.secretPepper, token);

/** A console page with the token in its fragment: browsers never send a fragment to a server or put it in a Referer. */
export const consoleLink = (config: Pick<Config, 'issuer'>, page: 'accept' | 'setup', token: string): string =>
  `${config.issuer}/console/${page}#token=${token}`;

/** The live record a token names (spent by `find` where it is single-use); throws `refusal` when there is none. */
export async function findByToken<T>(
  config: Pick<Config, 'secretPepper'>,
  token: string,
  find: (hash: Buffer) => Promise<T | undefined>,
  refusal: AppError,
): Promise<T> {
  const found = await find(hashToken(config, token));
  if (found === undefined) throw refusal;
  return found;
}
