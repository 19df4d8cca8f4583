import { randomBytes } from 'node:crypto';

const PREFIXES = { org: 'org_', key: 'key_', event: 'evt_', user: 'usr_', invitation: 'inv_', resource: 'res_' } as const;
export type IdKind = keyof typeof PREFIXES;

// Crockford base32, as ULID specifies.
const ENCODING = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ULID = '[0-9A-HJKMNP-TV-Z]{26}';

// Randomness is drawn from a pooled buffer: one randomBytes call per 400 IDs instead of
// (as the `ulid` package does) one getRandomValues call per character, which cost ~150 µs an ID.
let pool: Buffer = Buffer.alloc(0);
let poolOffset = 0;
function random80(): Buffer {
  if (poolOffset + 10 > pool.length) {
    pool = randomBytes(4_000);
    poolOffset = 0;
  }
  const bytes = Buffer.from(pool.subarray(poolOffset, poolOffset + 10));
  poolOffset += 10;
  return bytes;
}

function encodeTime(ms: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ENCODING[ms % 32] + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

function encodeRandom(bytes: Buffer): string {
  let out = '';
  // 80 bits = two groups of 5 bytes, each 8 base32 characters.
  for (let g = 0; g < 10; g += 5) {
    let hi = bytes[g]!;
    let lo = bytes.readUInt32BE(g + 1);
    const chars: string[] = [];
    for (let i = 0; i < 8; i++) {
      chars.push(ENCODING[lo & 31]!);
      lo = (lo >>> 5) | ((hi & 31) << 27);
      hi >>>= 5;
    }
    out += chars.reverse().join('');
  }
  return out;
}

function increment(bytes: Buffer): void {
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i]! < 255) {
      bytes[i]!++;
      return;
    }
    bytes[i] = 0;
  }
}

let lastTime = -1;
let lastRandom: Buffer = Buffer.alloc(10);

/** A ULID, monotonic within this process: IDs made in the same millisecond still sort by creation. */
export function ulid(nowMs: number = Date.now()): string {
  if (nowMs <= lastTime) {
    increment(lastRandom);
    return encodeTime(lastTime) + encodeRandom(lastRandom);
  }
  lastTime = nowMs;
  lastRandom = random80();
  return encodeTime(nowMs) + encodeRandom(lastRandom);
}

const patterns = Object.fromEntries(Object.entries(PREFIXES).map(([kind, prefix]) => [kind, new RegExp(`^${prefix}${ULID}$`)])) as Record<
  IdKind,
  RegExp
>;

export function newId(kind: IdKind, nowMs?: number): string {
  return PREFIXES[kind] + ulid(nowMs);
}

/** A bare ULID, used as the JWT `jti`. */
export function newTokenId(nowMs?: number): string {
  return ulid(nowMs);
}

export function isId(kind: IdKind, value: string): boolean {
  return patterns[kind].test(value);
}

export const ID_PATTERN: Record<IdKind, RegExp> = patterns;
