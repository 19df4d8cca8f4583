import type { operations } from '../api/schema';

/** The list's filters and page, all in the URL query so reload, back and forward keep them. */
export type KeyQuery = {
  q: string;
  status: '' | 'active' | 'expired' | 'revoked';
  environment: '' | 'live' | 'test';
  owner: string;
  unused: boolean;
  /** The cursor of this page ('' = the first) and of the pages before it, oldest first. */
  cursor: string;
  prev: string[];
};

export const PAGE_SIZE = 25;

const pick = <T extends string>(value: string | null, allowed: readonly T[]): T | '' => (allowed.includes(value as T) ? (value as T) : '');

export function readQuery(search: URLSearchParams): KeyQuery {
  return {
    q: search.get('q') ?? '',
    status: pick(search.get('status'), ['active', 'expired', 'revoked']),
    environment: pick(search.get('environment'), ['live', 'test']),
    owner: search.get('owner') ?? '',
    unused: search.get('unused') === '30',
    cursor: search.get('cursor') ?? '',
    prev: search.getAll('prev'),
  };
}

/** "/keys?status=active&…": empty values are left out so a plain list is a plain URL. */
export function keysUrl(query: KeyQuery): string {
  const search = new URLSearchParams();
  if (query.q) search.set('q', query.q);
  if (query.status) search.set('status', query.status);
  if (query.environment) search.set('environment', query.environment);
  if (query.owner) search.set('owner', query.owner);
  if (query.unused) search.set('unused', '30');
  for (const p of query.prev) search.append('prev', p);
  if (query.cursor) search.set('cursor', query.cursor);
  const text = search.toString();
  return text ? `/keys?${text}` : '/keys';
}

/** A filter changed: back to the first page. */
export const withFilter = (query: KeyQuery, change: Partial<KeyQuery>): KeyQuery => ({ ...query, ...change, cursor: '', prev: [] });

export const nextPage = (query: KeyQuery, next: string): KeyQuery => ({ ...query, prev: [...query.prev, query.cursor], cursor: next });

export const previousPage = (query: KeyQuery): KeyQuery => ({ ...query, prev: query.prev.slice(0, -1), cursor: query.prev.at(-1) ?? '' });

/** GET /v1/keys's query for this state. */
export function apiQuery(query: KeyQuery): NonNullable<operations['listKeys']['parameters']['query']> {
  return {
    limit: PAGE_SIZE,
    ...(query.q && { q: query.q }),
    ...(query.status && { status: query.status }),
    ...(query.environment && { environment: query.environment }),
    ...(query.owner && { owner: query.owner }),
    ...(query.unused && { unused_for_days: 30 }),
    ...(query.cursor && { cursor: query.cursor }),
  };
}
