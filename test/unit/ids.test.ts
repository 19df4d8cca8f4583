import { decodeTime } from 'ulid';
import { ID_PATTERN, isId, newId, newTokenId, ulid } from '../../src/ids.js';

describe('ids', () => {
  it('are prefixed ULIDs whose time part decodes to the creation time', () => {
    const now = Date.UTC(2026, 10, 22, 12, 0, 0, 123);
    const id = newId('key', now);
    expect(id).toMatch(ID_PATTERN.key);
    expect(isId('key', id)).toBe(true);
    expect(isId('org', id)).toBe(false);
    expect(decodeTime(id.slice(4))).toBe(now);
    expect(newId('org')).toMatch(/^org_[0-9A-HJKMNP-TV-Z]{26}$/);
  });

  it('sort by creation, also within one millisecond', () => {
    const t = Date.now() + 10_000;
    const ids = Array.from({ length: 1000 }, () => newTokenId(t));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(1000);
    const later = ulid(t + 1);
    expect(later > ids.at(-1)!).toBe(true);
  });

  it('carry 80 random bits: no collisions, every character used', () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => ulid(Date.now() + 20_000 + i));
    expect(new Set(ids.map((u) => u.slice(10))).size).toBe(20_000);
    const chars = new Set(ids.flatMap((u) => [...u.slice(10)]));
    expect(chars.size).toBe(32);
  });
});
