// Secrets for seeded keys, derived from the dataset's seed and the key ID, so that any seeded key
// can be used in a later run without storing a million secrets. Same format as the service's
// generateSecret (`sk_live_` + 43 base62 characters + a 6-character CRC32 checksum); every secret
// made here is checked with the service's own checkSecretFormat, and hashed with its hashSecret.
import { createHmac } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { checkSecretFormat, hashSecret, secretHint } from '../../dist/src/crypto/secrets.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_CHARS = 43;
const CHECKSUM_CHARS = 6;

function checksum(body) {
  let n = crc32(body);
  let out = '';
  for (let i = 0; i < CHECKSUM_CHARS; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/** The secret of seeded key `keyId` in the dataset whose seed is `seed`. */
export function benchSecret(seed, keyId) {
  let chars = '';
  for (let block = 0; chars.length < RANDOM_CHARS; block++) {
    for (const byte of createHmac('sha512', seed).update(`${keyId}:${block}`).digest()) {
      // Same unbiased mapping as the service: bytes below 248 = 4 * 62 only.
      if (byte < 248 && chars.length < RANDOM_CHARS) chars += BASE62[byte % 62];
    }
  }
  const body = `sk_live_${chars}`;
  const secret = body + checksum(body);
  if (!checkSecretFormat(secret)) throw new Error('bench secrets no longer match the service format (src/crypto/secrets.ts changed?)');
  return secret;
}

/** What the service stores for a secret: HMAC-SHA256(pepper, secret) and the hint. */
export function storedSecret(pepper, secret) {
  return { hash: hashSecret(Buffer.from(pepper, 'utf8'), secret), hint: secretHint(secret) };
}
