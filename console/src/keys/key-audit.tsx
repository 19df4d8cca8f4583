import { useEffect, useId, useState } from 'preact/hooks';
import { api, unwrap, type Schemas } from '../api/client';
import { ErrorMessage, Loading } from '../ui/states';
import { Time } from '../ui/time';
import { TableHead } from '../ui/table-head';

type Event = Schemas['AuditEvent'];

/**
 * Plain words for a key's actions, the code on hover. Nouns on purpose: the status badge stays the only
 * text on the page that reads "Revoked", "Expired" or "Active" (outside checks look for that word).
 */
const ACTIONS: Record<string, string> = {
  'key.created': 'Creation',
  'key.updated': 'Settings change',
  'key.changed': 'Settings change',
  'key.rotated': 'Rotation',
  'key.revoked': 'Revocation',
  'exchange.succeeded': 'Token exchange',
  'exchange.rejected': 'Refused exchange',
};

/** The latest audit events about one key (GET /v1/audit-events?key_id=…). */
export function KeyAudit({ keyId, version }: { keyId: string; version: number }) {
  const [events, setEvents] = useState<Event[]>();
  const [error, setError] = useState<unknown>();
  const titleId = useId();
  useEffect(() => {
    unwrap(api.GET('/v1/audit-events', { params: { query: { key_id: keyId, limit: 20 } } }))
      .then((page) => setEvents(page.data))
      .catch(setError);
  }, [keyId, version]);
  return (
    <section aria-labelledby={titleId}>
      <h2 id={titleId}>Activity</h2>
      <ErrorMessage error={error} />
      {!events && !error && <Loading />}
      {events && events.length === 0 && <p>No events yet.</p>}
      {events && events.length > 0 && (
        <div class="table-wrap">
          <table>
            <TableHead columns={['When', 'Action', 'By', 'From']} />
            <tbody>
              {events.map((e) => (
                <tr key={e.id}>
                  <td>
                    <Time iso={e.created_at} />
                  </td>
                  <td title={e.action}>{ACTIONS[e.action] ?? e.action}</td>
                  <td>
                    {e.actor.type} <code>{e.actor.id ?? ''}</code>
                  </td>
                  <td>{e.ip ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
