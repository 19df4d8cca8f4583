import type { Schemas } from '../api/client';
import { Badge } from '../ui/badge';

export type ApiKey = Schemas['ApiKey'];

const STATUS = { active: ['Active', 'ok'], expired: ['Expired', 'warn'], revoked: ['Revoked', 'bad'] } as const;

/** "Active", "Expired" or "Revoked": the exact words outside checks read. */
export function StatusBadge({ status }: { status: ApiKey['status'] }) {
  const [text, tone] = STATUS[status];
  return <Badge tone={tone}>{text}</Badge>;
}

export function EnvironmentBadge({ environment }: { environment: ApiKey['environment'] }) {
  return <Badge tone={environment === 'live' ? 'info' : 'neutral'}>{environment}</Badge>;
}

/** Who a key belongs to, in words. */
export function ownerText(owner: ApiKey['owner']): string {
  if (!owner) return 'command line';
  return owner.type === 'user' ? (owner.email ?? owner.id) : `key ${owner.id}`;
}

/** A short list of words, or a dash when there are none (so an empty cell still reads as empty). */
export function List({ items, none = '—' }: { items: readonly string[]; none?: string }) {
  if (items.length === 0) return <span class="muted">{none}</span>;
  return (
    <ul class="chips">
      {items.map((item) => (
        <li key={item}>
          <code>{item}</code>
        </li>
      ))}
    </ul>
  );
}
