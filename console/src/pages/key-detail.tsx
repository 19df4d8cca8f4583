import { useEffect, useState } from 'preact/hooks';
import { api, unwrap } from '../api/client';
import { EnvironmentBadge, List, StatusBadge, ownerText, type ApiKey } from '../keys/format';
import { KeyAudit } from '../keys/key-audit';
import { RevokeDialog } from '../keys/revoke-dialog';
import { RotateDialog, type Rotated } from '../keys/rotate-dialog';
import { SecretDialog } from '../keys/secret-dialog';
import { KeySettings } from '../keys/settings';
import { Expiry, LastUsed } from '../keys/table';
import { UsageChart } from '../keys/usage-chart';
import { navigate } from '../router';
import type { PageProps } from '../screens';
import { can, useSession } from '../session';
import { CopyButton } from '../ui/copy';
import { Link } from '../ui/link';
import { ErrorMessage, Loading } from '../ui/states';
import { Time } from '../ui/time';

type Open = 'rotate' | 'revoke' | undefined;

/** One key: its facts, settings, usage and activity; Rotate and Revoke (each behind a confirmation). */
export function KeyDetailPage({ params }: PageProps) {
  const id = params.id ?? '';
  const { session } = useSession();
  const [apiKey, setKey] = useState<ApiKey>();
  const [error, setError] = useState<unknown>();
  const [open, setOpen] = useState<Open>();
  const [rotated, setRotated] = useState<Rotated>();
  const [version, setVersion] = useState(0);

  useEffect(() => {
    setKey(undefined);
    setError(undefined);
    unwrap(api.GET('/v1/keys/{id}', { params: { path: { id } } }))
      .then(setKey)
      .catch(setError);
  }, [id]);

  const changed = (key: ApiKey) => {
    setKey(key);
    setOpen(undefined);
    setVersion((v) => v + 1);
  };

  const back = (
    <p>
      <Link to="/keys">← API keys</Link>
    </p>
  );
  if (error)
    return (
      <>
        {back}
        <h1>API key</h1>
        <ErrorMessage error={error} />
      </>
    );
  if (!apiKey) return <Loading />;
  // The new secret, alone on the screen: no other "Copy" button competes with the dialog's.
  if (rotated) return <SecretDialog created={rotated} onDone={() => navigate(`/keys/${rotated.id}`, { replace: true })} />;

  const writable = can(session, 'keys:write') && apiKey.status === 'active';
  return (
    <>
      {back}
      <div class="page-head">
        <h1>{apiKey.name}</h1>
        <StatusBadge status={apiKey.status} />
        <EnvironmentBadge environment={apiKey.environment} />
      </div>
      {apiKey.revoked_at && (
        <p class="revocation">
          Since <Time iso={apiKey.revoked_at} mode="exact" />
          {apiKey.revoke_reason ? ` — reason: ${apiKey.revoke_reason}` : ' — no reason given'}
        </p>
      )}
      {writable && !open && (
        <div class="actions">
          <button type="button" class="secondary" onClick={() => setOpen('rotate')}>
            Rotate
          </button>
          <button type="button" class="danger" onClick={() => setOpen('revoke')}>
            Revoke
          </button>
        </div>
      )}
      {open === 'rotate' && <RotateDialog apiKey={apiKey} onClose={() => setOpen(undefined)} onRotated={setRotated} />}
      {open === 'revoke' && <RevokeDialog apiKey={apiKey} onClose={() => setOpen(undefined)} onRevoked={changed} />}
      <dl class="facts">
        <dt>Key ID</dt>
        <dd>
          <code>{apiKey.id}</code> {!open && <CopyButton value={apiKey.id} label="Copy key ID" />}
        </dd>
        <dt>Secret hint</dt>
        <dd>
          <code class="nowrap">{apiKey.secret_hint}</code>
        </dd>
        <dt>Owner</dt>
        <dd>{ownerText(apiKey.owner)}</dd>
        <dt>Scopes</dt>
        <dd>
          <List items={apiKey.scopes} />
        </dd>
        <dt>Audiences</dt>
        <dd>
          <List items={apiKey.audiences} none="default" />
        </dd>
        <dt>Allowed addresses</dt>
        <dd>
          <List items={apiKey.allowed_cidrs} none="anywhere" />
        </dd>
        <dt>Created</dt>
        <dd>
          <Time iso={apiKey.created_at} />
        </dd>
        <dt>Last used</dt>
        <dd>
          <LastUsed at={apiKey.last_used_at} />
        </dd>
        <dt>Expires</dt>
        <dd>
          <Expiry apiKey={apiKey} />
        </dd>
        {apiKey.replaced_by && (
          <>
            <dt>Replaced by</dt>
            <dd>
              <Link to={`/keys/${apiKey.replaced_by}`}>{apiKey.replaced_by}</Link>
            </dd>
          </>
        )}
      </dl>
      <UsageChart keyId={apiKey.id} />
      {can(session, 'audit:read') && <KeyAudit keyId={apiKey.id} version={version} />}
      {writable && (
        <details class="settings">
          <summary>Settings</summary>
          <KeySettings key={apiKey.updated_at} apiKey={apiKey} onSaved={changed} />
        </details>
      )}
    </>
  );
}
