import { monotonicFactory } from 'ulid';

const PREFIXES = { org: 'org_', key: 'key_', event: 'evt_' } as const;
export type IdKind = keyof typeof PREFIXES;

const ulid = monotonicFactory();
const ULID = '[0-9A-HJKMNP-TV-Z]{26}';
const patterns = Object.fromEntries(
  Object.entries(PREFIXES).map(([kind, prefix]) => [kind, new RegExp(`^${prefix}${ULID}$`)]),
) as Record<IdKind, RegExp>;

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
export const TOKEN_ID_PATTERN = new RegExp(`^${ULID}$`);
