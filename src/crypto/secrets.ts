import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { Environment } from '../domain/model.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const SECRET_RANDOM_CHARS = 43; // 43 base62 chars carry 256 bits
const CHECKSUM_CHARS = 6; // 62^6 > 2^32, so any CRC32 fits
const SECRET_RE = /^sk_(live|test)_([0-9A-Za-z]{43})([0-9A-Za-z]{6})$/;

/**
 * `length` base62 characters from the bytes `source(round)` yields (asked again until there are
 * enough). Rejection sampling: 248 = 4 * 62, so bytes below it map to base62 without bias.
 */
export function base62From(source: (round: number) => Uint8Array, length: number): string {
  let out = '';
  for (let round = 0; out.length < length; round++) {
    for (const byte of source(round)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

function checksum(body: string): string {
  let n = crc32(body);
  let out = '';
  for (let i = 0; i < CHECKSUM_CHARS; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/** The secret whose random part is `random` (SECRET_RANDOM_CHARS base62 characters): prefix + random + checksum. */
export function composeSecret(env: Environment, random: string): string {
  const body = `sk_${env}_${random}`;
  return body + checksum(body);
}

/** A new secret: `sk_<env>_` + 256 random bits in base62 + a CRC32 checksum (GitHub-token style). */
export function generateSecret(env: Environment): string {
  return composeSecret(
    env,
    base62From(() => randomBytes(SECRET_RANDOM_CHARS * 2), SECRET_RANDOM_CHARS),
  );
}

/** Format and checksum only: lets a typo or a truncated paste fail without touching storage. */
export function checkSecretFormat(secret: string): { env: Environment } | undefined {
  const m = SECRET_RE.exec(secret);
  if (!m) return undefined;
  const body = secret.slice(0, secret.length - CHECKSUM_CHARS);
  return checksum(body) === m[3] ? { env: m[1] as Environment } : undefined;
}

export function hashSecret(pepper: Buffer, secret: string): Buffer {
  return createHmac('sha256', pepper).update(secret, 'utf8').digest();
}

/** Constant-time: the comparison leaks nothing about how much of the hash matched. */
export function verifySecret(pepper: Buffer, secret: string, storedHash: Buffer): boolean {
  const candidate = hashSecret(pepper, secret);
  return candidate.length === storedHash.length && timingSafeEqual(candidate, storedHash);
}

/** Safe to show and log: the prefix and the last four characters. */
export function secretHint(secret: string): string {
  const m = /^(sk_(?:live|test)_)/.exec(secret);
  return `${m ? m[1] : ''}...${secret.slice(-4)}`;
}

export const SECRET_MAX_LENGTH = 128;
