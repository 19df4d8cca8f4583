import { useState } from 'preact/hooks';
import { api, unwrap, type Answer } from '../api/client';
import { navigate } from '../router';
import { useSession } from '../session';
import { Badge } from '../ui/badge';
import { ConfirmDialog } from '../ui/confirm';
import { ErrorMessage } from '../ui/states';
import { Time } from '../ui/time';
import type { Loaded } from '../ui/use-load';
import { DataTable } from '../ui/data-table';

type Sessions = Answer<'listSessions'>;

/** "Chrome on Linux" from a user agent, enough to recognise a device; the full string on hover. */
export function deviceOf(userAgent: string | null): string {
  if (!userAgent) return 'Unknown device';
  const browser = /Edg\//.test(userAgent)
    ? 'Edge'
    : /Firefox\//.test(userAgent)
      ? 'Firefox'
      : /Chrom(e|ium)\//.test(userAgent)
        ? 'Chrome'
        : /Safari\//.test(userAgent)
          ? 'Safari'
          : /curl\//.test(userAgent)
            ? 'curl'
            : 'Browser';
  const system = /Windows/.test(userAgent)
    ? 'Windows'
    : /Android/.test(userAgent)
      ? 'Android'
      : /iPhone|iPad/.test(userAgent)
        ? 'iOS'
        : /Mac OS X/.test(userAgent)
          ? 'macOS'
          : /Linux/.test(userAgent)
            ? 'Linux'
            : undefined;
  return system ? `${browser} on ${system}` : browser;
}

/** The person's live sessions (this one marked) and "Sign out everywhere". */
export function ActiveSessions({ list }: { list: Loaded<Sessions> }) {
  const { signOut } = useSession();
  const [confirming, setConfirming] = useState(false);
  const sessions = list.data?.data ?? [];
  return (
    <section class="spaced" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Active sessions</h2>
      <ErrorMessage error={list.error} />
      <DataTable
        label="Session list"
        columns={['Device', 'Address', 'Signed in', 'Last seen']}
        busy={list.loading}
        placeholder={list.loading && !list.data && 2}
      >
        {sessions.map((s) => (
          <tr key={`${s.created_at}:${s.org_id}`}>
            <td title={s.user_agent ?? undefined}>
              {deviceOf(s.user_agent)} {s.current && <Badge tone="info">This session</Badge>}
            </td>
            <td class="mono">{s.ip ?? '—'}</td>
            <td>
              <Time iso={s.created_at} />
            </td>
            <td>
              <Time iso={s.last_seen_at} />
            </td>
          </tr>
        ))}
      </DataTable>
      <p>
        <button type="button" class="danger" onClick={() => setConfirming(true)}>
          Sign out everywhere
        </button>
      </p>
      <ConfirmDialog
        title="Sign out everywhere?"
        open={confirming}
        confirm="Sign out all sessions"
        danger
        onClose={() => setConfirming(false)}
        onConfirm={async () => {
          await unwrap(api.DELETE('/v1/sessions'));
          await signOut();
          navigate('/sign-in', { replace: true });
        }}
      >
        <p>Every session you have, in every organisation, ends now — this one too. You will need to sign in again.</p>
      </ConfirmDialog>
    </section>
  );
}
