import { useState } from 'preact/hooks';
import { api, unwrap } from '../api/client';
import { TextField } from '../ui/field';
import { words } from './expiry';
import type { ApiKey } from './format';
import { FormActions } from '../ui/form-actions';
import { useSubmit } from '../ui/use-submit';

const dateOf = (iso: string | null) => (iso ? new Date(iso).toLocaleDateString('en-CA') : '');

/** Edits what PATCH /v1/keys/:id allows: name, description, scopes, audiences, addresses, expiry, exchange logging. */
export function KeySettings({ apiKey, onSaved }: { apiKey: ApiKey; onSaved: (key: ApiKey) => void }) {
  const [name, setName] = useState(apiKey.name);
  const [description, setDescription] = useState(apiKey.description);
  const [scopes, setScopes] = useState(apiKey.scopes.join(' '));
  const [audiences, setAudiences] = useState(apiKey.audiences.join(' '));
  const [cidrs, setCidrs] = useState(apiKey.allowed_cidrs.join('\n'));
  const [expires, setExpires] = useState(dateOf(apiKey.expires_at));
  const [logExchanges, setLogExchanges] = useState(apiKey.log_exchanges);
  const [saved, setSaved] = useState(false);

  const { submit, busy, error } = useSubmit(
    async () => {
      setSaved(false);
      const body = {
        name: name.trim(),
        description: description.trim(),
        scopes: words(scopes),
        audiences: words(audiences),
        allowed_cidrs: words(cidrs),
        expires_at: expires ? new Date(`${expires}T23:59:59`).toISOString() : null,
        log_exchanges: logExchanges,
      };
      onSaved(await unwrap(api.PATCH('/v1/keys/{id}', { params: { path: { id: apiKey.id } }, body })));
      setSaved(true);
    },
    { again: true },
  );

  return (
    <form class="form" onSubmit={submit} aria-label="Settings">
      <TextField label="Name" required maxLength={100} value={name} onValue={setName} />
      <TextField label="Description" rows={2} maxLength={500} value={description} onValue={setDescription} />
      <TextField label="Scopes" hint="Separated by spaces." maxLength={2000} value={scopes} onValue={setScopes} />
      <TextField
        label="Audiences"
        hint="Separated by spaces; empty means the default audience."
        maxLength={2000}
        value={audiences}
        onValue={setAudiences}
      />
      <TextField
        label="Allowed addresses"
        hint="CIDRs, one per line; empty means from anywhere."
        rows={2}
        maxLength={4000}
        value={cidrs}
        onValue={setCidrs}
      />
      <TextField label="Expiry date" hint="Empty: the key never expires." type="date" value={expires} onValue={setExpires} />
      <label class="check">
        <input type="checkbox" checked={logExchanges} onChange={(e) => setLogExchanges(e.currentTarget.checked)} /> Log every exchange in
        the audit log
      </label>
      <FormActions submit="Save changes" busy={busy} error={error}>
        {saved && <p role="status">Saved.</p>}
      </FormActions>
    </form>
  );
}
