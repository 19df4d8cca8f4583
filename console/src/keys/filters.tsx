import { useEffect, useState } from 'preact/hooks';
import { api, unwrap } from '../api/client';
import { navigate } from '../router';
import { Field } from '../ui/field';
import { keysUrl, withFilter, type KeyQuery } from './query';

type Member = { user_id: string; email: string; name: string };

/** The people whose keys an admin or owner may filter by (GET /v1/members). */
function useMembers(enabled: boolean): Member[] {
  const [members, setMembers] = useState<Member[]>([]);
  useEffect(() => {
    if (!enabled) return;
    unwrap(api.GET('/v1/members'))
      .then((page) => setMembers(page.data))
      .catch(() => setMembers([]));
  }, [enabled]);
  return members;
}

/** Search and filters; every change is a new URL (a history entry), so back undoes it. */
export function KeyFilters({ query, showOwner }: { query: KeyQuery; showOwner: boolean }) {
  const [q, setQ] = useState(query.q);
  useEffect(() => setQ(query.q), [query.q]);
  const members = useMembers(showOwner);
  const apply = (change: Partial<KeyQuery>) => navigate(keysUrl(withFilter(query, change)));
  return (
    <form
      class="filters"
      role="search"
      aria-label="Filter keys"
      onSubmit={(e) => {
        e.preventDefault();
        apply({ q: q.trim() });
      }}
    >
      <Field label="Search by name">
        {({ id }) => (
          <span class="inline">
            <input id={id} type="search" maxLength={100} value={q} onInput={(e) => setQ(e.currentTarget.value)} />
            <button type="submit" class="secondary">
              Search
            </button>
          </span>
        )}
      </Field>
      <Field label="Status">
        {({ id }) => (
          <select id={id} value={query.status} onChange={(e) => apply({ status: e.currentTarget.value as KeyQuery['status'] })}>
            <option value="">any status</option>
            <option value="active">active</option>
            <option value="expired">expired</option>
            <option value="revoked">revoked</option>
          </select>
        )}
      </Field>
      <Field label="Environment">
        {({ id }) => (
          <select
            id={id}
            value={query.environment}
            onChange={(e) => apply({ environment: e.currentTarget.value as KeyQuery['environment'] })}
          >
            <option value="">any environment</option>
            <option value="live">live</option>
            <option value="test">test</option>
          </select>
        )}
      </Field>
      {showOwner && (
        <Field label="Owner">
          {({ id }) => (
            <select id={id} value={query.owner} onChange={(e) => apply({ owner: e.currentTarget.value })}>
              <option value="">anyone</option>
              {members.map((m) => (
                <option key={m.user_id} value={m.user_id}>
                  {m.name} ({m.email})
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
      <label class="check">
        <input type="checkbox" checked={query.unused} onChange={(e) => apply({ unused: e.currentTarget.checked })} /> Unused for 30 days
      </label>
    </form>
  );
}
