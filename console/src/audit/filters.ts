/** The audit log's filters, kept in the URL query so a filtered view can be shared, reloaded and gone back to. */
export type AuditFilters = { action: string; actor: string; key_id: string; from: string; to: string };

export const FILTER_NAMES = ['action', 'actor', 'key_id', 'from', 'to'] as const;

export function filtersFromQuery(query: URLSearchParams): AuditFilters {
  return {
    action: query.get('action') ?? '',
    actor: query.get('actor') ?? '',
    key_id: query.get('key_id') ?? '',
    from: query.get('from') ?? '',
    to: query.get('to') ?? '',
  };
}

export function queryOf(filters: AuditFilters): string {
  const query = new URLSearchParams();
  for (const name of FILTER_NAMES) if (filters[name]) query.set(name, filters[name]);
  const text = query.toString();
  return text ? `?${text}` : '';
}

const pad = (n: number) => String(n).padStart(2, '0');

/** An instant (ISO) as a datetime-local value in the reader's time zone. */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local value (the reader's zone) as an instant (ISO), or '' when empty or invalid. */
export function fromLocalInput(value: string): string {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

/** Every action the service records, offered as suggestions (any other action name may be typed). */
export const KNOWN_ACTIONS = [
  'key.created',
  'key.updated',
  'key.rotated',
  'key.revoked',
  'exchange.succeeded',
  'exchange.rejected',
  'token.revoked',
  'member.added',
  'member.role_changed',
  'member.removed',
  'invitation.created',
  'invitation.accepted',
  'invitation.revoked',
  'resource.created',
  'resource.updated',
  'resource.deleted',
  'session.created',
  'session.ended',
  'session.ended_everywhere',
  'session.failed',
  'user.password_changed',
  'signing_key.rotated',
  'org.created',
  'org.updated',
];
