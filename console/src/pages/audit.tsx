import { useState } from 'preact/hooks';
import { api, unwrap } from '../api/client';
import { AuditEventRow, type AuditEvent } from '../audit/event-row';
import { AuditFilterForm } from '../audit/filter-form';
import { filtersFromQuery, queryOf, type AuditFilters } from '../audit/filters';
import { usePeople } from '../audit/use-people';
import { navigate, useLocation } from '../router';
import type { PageProps } from '../screens';
import { ErrorMessage } from '../ui/states';
import { useLoad } from '../ui/use-load';
import '../ui/pages.css';
import { DataTable } from '../ui/data-table';

const PAGE_SIZE = 50;

async function loadPage(f: AuditFilters, cursor?: string) {
  return unwrap(
    api.GET('/v1/audit-events', {
      params: {
        query: {
          limit: PAGE_SIZE,
          cursor,
          action: f.action || undefined,
          actor: f.actor || undefined,
          key_id: f.key_id || undefined,
          from: f.from || undefined,
          to: f.to || undefined,
        },
      },
    }),
  );
}

/** Who did what, newest first; filters live in the URL, older pages are appended with a cursor. */
export function AuditPage(_props: PageProps) {
  const { query } = useLocation();
  const filters = filtersFromQuery(query);
  const key = queryOf(filters);
  const people = usePeople();
  const [older, setOlder] = useState<{ key: string; events: AuditEvent[]; cursor: string | null }>();
  const [olderError, setOlderError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const first = useLoad(() => loadPage(filters), [key]);

  const extra = older?.key === key ? older : undefined;
  const events = [...(first.data?.data ?? []), ...(extra?.events ?? [])];
  const cursor = extra ? extra.cursor : (first.data?.next_cursor ?? null);
  const filtered = key !== '';

  const more = async () => {
    if (!cursor) return;
    setBusy(true);
    setOlderError(undefined);
    try {
      const page = await loadPage(filters, cursor);
      setOlder({ key, events: [...(extra?.events ?? []), ...page.data], cursor: page.next_cursor });
    } catch (err) {
      setOlderError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <h1>Audit log</h1>
      <AuditFilterForm key={key} value={filters} onApply={(f) => navigate(`/audit${queryOf(f)}`)} />
      <ErrorMessage error={first.error} />
      <DataTable
        label="Event list"
        caption="Audit events, newest first"
        columns={['Time', 'Action', 'Actor', 'Key', 'Address', 'Details']}
        busy={first.loading}
        placeholder={first.loading && 8}
      >
        {events.map((e) => (
          <AuditEventRow key={e.id} event={e} people={people} />
        ))}
      </DataTable>
      {!first.loading && !first.error && events.length === 0 && (
        <p class="empty">{filtered ? 'No events match these filters.' : 'Nothing has happened yet.'}</p>
      )}
      <ErrorMessage error={olderError} />
      {!first.loading && cursor && (
        <button type="button" class="secondary" disabled={busy} onClick={() => void more()}>
          {busy ? 'Loading…' : 'Older events'}
        </button>
      )}
    </section>
  );
}
