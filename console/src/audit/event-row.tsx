import type { Schemas } from '../api/client';
import { Link } from '../ui/link';
import { Time } from '../ui/time';

export type AuditEvent = Schemas['AuditEvent'];
/** Person IDs → "Name <email>", so the log names people rather than IDs. */
export type People = ReadonlyMap<string, string>;

/** Who did it, named where we can; a link that shows only what they did. */
function Actor({ event, people }: { event: AuditEvent; people: People }) {
  const { actor } = event;
  if (!actor.id) return <span>{actor.type}</span>;
  // A person no longer a member is still named by the email the event recorded.
  const recorded = typeof event.detail.actor_email === 'string' ? event.detail.actor_email : undefined;
  const name = actor.type === 'key' ? `key ${actor.id}` : (people.get(actor.id) ?? recorded ?? `${actor.type} ${actor.id}`);
  return (
    <Link to={`/audit?actor=${encodeURIComponent(actor.id)}`} title={`Only events by ${actor.id}`}>
      {name}
    </Link>
  );
}

/** The key an event is about: its target, or the key named in its detail (exchanges, rotations). */
function keyOf(event: AuditEvent): string | undefined {
  if (event.target?.type === 'key' && event.target.id) return event.target.id;
  const named = event.detail.key_id;
  return typeof named === 'string' ? named : undefined;
}

function Details({ event, people }: { event: AuditEvent; people: People }) {
  // The key and the actor's email have their own columns.
  const entries = Object.entries(event.detail).filter(([name]) => name !== 'key_id' && name !== 'actor_email');
  const target = event.target && event.target.type !== 'key' && event.target.id ? event.target : undefined;
  if (!entries.length && !target) return <span class="muted">—</span>;
  return (
    <dl class="details">
      {target && (
        <div>
          <dt>{target.type}</dt>
          <dd class="mono">{target.id}</dd>
        </div>
      )}
      {entries.map(([name, value]) => (
        <div key={name}>
          <dt>{name}</dt>
          <dd>{typeof value === 'string' ? (people.get(value) ?? value) : JSON.stringify(value)}</dd>
        </div>
      ))}
    </dl>
  );
}

export function AuditEventRow({ event, people }: { event: AuditEvent; people: People }) {
  const key = keyOf(event);
  return (
    <tr>
      <td>
        <Time iso={event.created_at} />
      </td>
      <td>
        <code class="nowrap">{event.action}</code>
      </td>
      <td>
        <Actor event={event} people={people} />
      </td>
      <td>{key ? <Link to={`/keys/${key}`}>{key}</Link> : <span class="muted">—</span>}</td>
      <td class="mono nowrap" title={event.user_agent ?? undefined}>
        {event.ip ?? '—'}
      </td>
      <td>
        <Details event={event} people={people} />
      </td>
    </tr>
  );
}
