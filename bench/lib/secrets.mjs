// Secrets for seeded keys, derived from the dataset's seed and the key ID, so that any seeded key
// can be used in a later run without storing a million secrets. Built by the service's own
// base62From and composeSecret (the same format as generateSecret), with HMAC output in place of
// random bytes; checked with its checkSecretFormat, and hashed with its hashSecret.
import { createHmac } from 'node:crypto';
import {
  base62From,
  checkSecretFormat,
  composeSecret,
  hashSecret,
  SECRET_RANDOM_CHARS,
  secretHint,
} from '../../dist/src/crypto/secrets.js';

/** The secret of seeded key `keyId` in the dataset whose seed is `seed`. */
export function benchSecret(seed, keyId) {
  const random = base62From((block) => createHmac('sha512', seed).update(`${keyId}:${block}`).digest(), SECRET_RANDOM_CHARS);
  const secret = composeSecret('live', random);
  if (!checkSecretFormat(secret)) throw new Error('bench secrets no longer match the service format (src/crypto/secrets.ts changed?)');
  return secret;
}

/** What the service stores for a secret: HMAC-SHA256(pepper, secret) and the hint. */
export function storedSecret(pepper, secret) {
  return { hash: hashSecret(Buffer.from(pepper, 'utf8'), secret), hint: secretHint(secret) };
}
