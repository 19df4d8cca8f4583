import { useState } from 'preact/hooks';
import { api, unwrap } from '../api/client';
import { Dialog } from '../ui/dialog';
import { Field } from '../ui/field';
import { ErrorMessage } from '../ui/states';
import type { ApiKey } from './format';

/** Confirms a revocation: names the key, says it is permanent and immediate, takes an optional reason. */
export function RevokeDialog({ apiKey, onClose, onRevoked }: { apiKey: ApiKey; onClose: () => void; onRevoked: (key: ApiKey) => void }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const body = reason.trim() ? { reason: reason.trim() } : {};
      onRevoked(await unwrap(api.POST('/v1/keys/{id}/revoke', { params: { path: { id: apiKey.id } }, body })));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Revoke “${apiKey.name}”?`} open onClose={onClose}>
      <form onSubmit={(e) => void submit(e)}>
        <p>
          This is permanent and immediate: the key <code>{apiKey.id}</code> stops working at once, and tokens already issued with it are
          refused by every verifier that checks revocations. It cannot be undone.
        </p>
        <Field label="Reason (optional)">
          {({ id }) => <input id={id} maxLength={200} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />}
        </Field>
        <ErrorMessage error={error} />
        <div class="actions">
          <button type="submit" class="danger" disabled={busy}>
            Revoke
          </button>
          <button type="button" class="secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
