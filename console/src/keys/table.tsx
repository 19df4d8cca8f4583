import { CopyButton } from '../ui/copy';
import { Link } from '../ui/link';
import { Time } from '../ui/time';
import { Badge } from '../ui/badge';
import { EnvironmentBadge, List, StatusBadge, ownerText, type ApiKey } from './format';
import { PAGE_SIZE } from './query';
import { TableHead } from '../ui/table-head';

// Name with its environment, and the key ID with the secret's hint, share a cell: the table fits a laptop screen.
const COLUMNS = ['Name', 'Key ID', 'Scopes', 'Audiences', 'Owner', 'Created', 'Last used', 'Expires', 'Status'];

/** When the key expires: "never", or its date with an "expires soon" badge in the last week. */
export function Expiry({ apiKey }: { apiKey: ApiKey }) {
  if (!apiKey.expires_at) return <span>never</span>;
  return (
    <span>
      <Time iso={apiKey.expires_at} mode="date" /> {apiKey.expires_soon && <Badge tone="warn">expires soon</Badge>}
    </span>
  );
}

export function LastUsed({ at }: { at: string | null }) {
  return at ? <Time iso={at} /> : <span>never</span>;
}

function Row({ apiKey }: { apiKey: ApiKey }) {
  return (
    <tr>
      <td>
        <Link to={`/keys/${apiKey.id}`}>{apiKey.name}</Link>
        <span class="sub">
          <EnvironmentBadge environment={apiKey.environment} />
        </span>
      </td>
      <td class="nowrap">
        <code class="small">{apiKey.id}</code> <CopyButton value={apiKey.id} label={`Copy key ID of ${apiKey.name}`} />
        <span class="sub">
          hint <code class="nowrap">{apiKey.secret_hint}</code>
        </span>
      </td>
      <td>
        <List items={apiKey.scopes} />
      </td>
      <td>
        <List items={apiKey.audiences} none="default" />
      </td>
      <td>{ownerText(apiKey.owner)}</td>
      <td>
        <Time iso={apiKey.created_at} />
      </td>
      <td>
        <LastUsed at={apiKey.last_used_at} />
      </td>
      <td>
        <Expiry apiKey={apiKey} />
      </td>
      <td>
        <StatusBadge status={apiKey.status} />
        {apiKey.revoked_at && (
          <span class="sub">
            <Time iso={apiKey.revoked_at} mode="date" />
            {apiKey.revoke_reason && <> · {apiKey.revoke_reason}</>}
          </span>
        )}
      </td>
    </tr>
  );
}

/** The keys of one page; while loading, placeholder rows hold the table's height so nothing jumps. */
export function KeyTable({ keys, loading }: { keys: readonly ApiKey[] | undefined; loading: boolean }) {
  return (
    <div class="table-wrap">
      <table aria-busy={loading ? 'true' : 'false'}>
        <caption class="visually-hidden">API keys</caption>
        <TableHead columns={COLUMNS} />
        <tbody>
          {loading || !keys
            ? Array.from({ length: Math.min(PAGE_SIZE, 8) }, (_, i) => (
                <tr key={i} class="skeleton" aria-hidden="true">
                  <td colSpan={COLUMNS.length}>&nbsp;</td>
                </tr>
              ))
            : keys.map((k) => <Row key={k.id} apiKey={k} />)}
        </tbody>
      </table>
    </div>
  );
}
