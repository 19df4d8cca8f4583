import { useState } from 'preact/hooks';
import { api, unwrap } from '../api/client';
import type { PageProps } from '../screens';
import { Badge, type Tone } from '../ui/badge';
import { ConfirmDialog } from '../ui/confirm';
import { ErrorMessage } from '../ui/states';
import { Time } from '../ui/time';
import { useLoad } from '../ui/use-load';
import '../ui/pages.css';
import { DataTable } from '../ui/data-table';

const STATE: Record<string, { label: string; tone: Tone }> = {
  active: { label: 'Active', tone: 'ok' },
  pending: { label: 'Pending', tone: 'info' },
  retired: { label: 'Retired', tone: 'neutral' },
};

/** The service's signing keys (public data only) and rotation, for owners. */
export function SigningKeysPage(_props: PageProps) {
  const list = useLoad(() => unwrap(api.GET('/v1/signing-keys')));
  const [confirming, setConfirming] = useState(false);
  const [notice, setNotice] = useState<string>();
  const keys = list.data?.data ?? [];

  return (
    <section>
      <div class="head-row">
        <h1>Signing keys</h1>
        <button type="button" onClick={() => setConfirming(true)}>
          Rotate
        </button>
      </div>
      <p class="hint">
        Every token the service issues is signed by the active key; verifiers fetch the public keys from the JWKS. Keys are shared by every
        organisation of this service.
      </p>
      <p role="status" class={notice ? 'notice' : undefined}>
        {notice}
      </p>
      <ErrorMessage error={list.error} />
      <DataTable
        label="Signing key list"
        caption="Signing keys, oldest first"
        columns={['Key ID', 'Algorithm', 'State', 'Created', 'Signs from', 'Retirement']}
        busy={list.loading}
        placeholder={list.loading && !list.data && 2}
      >
        {keys.map((k) => {
          const state = STATE[k.state] ?? { label: k.state, tone: 'neutral' as const };
          return (
            <tr key={k.kid}>
              <td class="mono">{k.kid}</td>
              <td>{k.alg}</td>
              <td>
                <Badge tone={state.tone}>{state.label}</Badge>
              </td>
              <td>
                <Time iso={k.created_at} />
              </td>
              <td>
                <Time iso={k.activates_at} />
              </td>
              <td>{k.retired_at ? <Time iso={k.retired_at} /> : <span class="muted">—</span>}</td>
            </tr>
          );
        })}
      </DataTable>
      {!list.loading && !list.error && keys.length === 0 && <p class="empty">No signing keys yet: the first token makes one.</p>}
      <ConfirmDialog
        title="Rotate the signing key?"
        open={confirming}
        confirm="Rotate signing key"
        onClose={() => setConfirming(false)}
        onConfirm={async () => {
          const key = await unwrap(api.POST('/v1/signing-keys/rotate'));
          setNotice(`New signing key ${key.kid} published; it signs once every JWKS cache has it.`);
          list.reload();
        }}
      >
        <p>
          A new key is published now and starts signing once every verifier’s JWKS cache has it. The current key keeps verifying until the
          tokens it signed expire. Nothing is revoked.
        </p>
      </ConfirmDialog>
    </section>
  );
}
