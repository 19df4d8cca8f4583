import type { Schemas } from '../api/client';
import { Link } from '../ui/link';
import { Time } from '../ui/time';

export type AuditEvent = Schemas['AuditEvent'];
/** Person IDs → "Name <email>", so the log names people rather than IDs. */
export type People = ReadonlyMap<string, string>;

function Actor({ actor, people }: { actor: AuditEvent['actor']; people: People }) {
  if (!actor.id) return <span>{actor.type}</span>;
  if (actor.type === 'key')
    return (
      <span>
        key <Link to={`/keys/${actor.id}`}>{actor.id}</Link>
      </span>
    );
  const person = people.get(actor.id);
  return person ? (
    <span title={actor.id}>{person}</span>
  ) : (
    <span class="mono">
      {actor.type} {actor.id}
    </span>
  );
}

/** The key an event is about: its target, or the key named in its detail (exchanges, rotations). */
function keyOf(event: AuditEvent): string | undefined {
  if (event.target?.type === 'key' && event.target.id) return event.target.id;
  const named = event.detail.key_id;
  return typeof named === 'string' ? named : undefined;
}

function Details({ event }: { event: AuditEvent }) {
  const entries = Object.entries(event.detail).filter(([name]) => name !== 'key_id');
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
          <dd>{typeof value === 'string' ? value : JSON.stringify(value)}</dd>
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
        <code>{event.action}</code>
      </td>
      <td>
        <Actor actor={event.actor} people={people} />
      </td>
      <td>{key ? <Link to={`/keys/${key}`}>{key}</Link> : <span class="muted">—</span>}</td>
      <td class="mono" title={event.user_agent ?? undefined}>
        {event.ip ?? '—'}
      </td>
      <td>
        <Details event={event} />
      </td>
    </tr>
  );
}
