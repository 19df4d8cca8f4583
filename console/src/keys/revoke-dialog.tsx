import { useState } from 'preact/hooks';
import { api, unwrap } from '../api/client';
import { Dialog } from '../ui/dialog';
import { TextField } from '../ui/field';
import { useSubmit } from '../ui/use-submit';
import type { ApiKey } from './format';
import { FormActions } from '../ui/form-actions';

/** Confirms a revocation: names the key, says it is permanent and immediate, takes an optional reason. */
export function RevokeDialog({ apiKey, onClose, onRevoked }: { apiKey: ApiKey; onClose: () => void; onRevoked: (key: ApiKey) => void }) {
  const [reason, setReason] = useState('');
  const { submit, busy, error } = useSubmit(async () => {
    const body = reason.trim() ? { reason: reason.trim() } : {};
    onRevoked(await unwrap(api.POST('/v1/keys/{id}/revoke', { params: { path: { id: apiKey.id } }, body })));
  });
  return (
    <Dialog title={`Revoke “${apiKey.name}”?`} open onClose={onClose}>
      <form onSubmit={submit}>
        <p>
          This is permanent and immediate: the key <code>{apiKey.id}</code> stops working at once, and tokens already issued with it are
          refused by every verifier that checks revocations. It cannot be undone.
        </p>
        <TextField label="Reason (optional)" maxLength={200} value={reason} onValue={setReason} />
        <FormActions submit="Revoke" busy={busy} error={error} danger onCancel={onClose} />
      </form>
    </Dialog>
  );
}
