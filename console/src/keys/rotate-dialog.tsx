import { useState } from 'preact/hooks';
import { api, unwrap, type Answer } from '../api/client';
import { Dialog } from '../ui/dialog';
import { Field } from '../ui/field';
import { useSubmit } from '../ui/use-submit';
import type { ApiKey } from './format';
import { FormActions } from '../ui/form-actions';

export type Rotated = Answer<'rotateKey', 201>;

const GRACE = [
  [0, 'None: the old secret stops now'],
  [3_600, '1 hour'],
  [86_400, '24 hours'],
  [604_800, '7 days'],
] as const;

/** A new key with the same settings; the old one keeps working for the chosen grace period. */
export function RotateDialog({ apiKey, onClose, onRotated }: { apiKey: ApiKey; onClose: () => void; onRotated: (key: Rotated) => void }) {
  const [grace, setGrace] = useState(0);
  const { submit, busy, error } = useSubmit(async () => {
    onRotated(
      await unwrap(api.POST('/v1/keys/{id}/rotate', { params: { path: { id: apiKey.id } }, body: { grace_period_seconds: grace } })),
    );
  });
  return (
    <Dialog title={`Rotate “${apiKey.name}”`} open onClose={onClose}>
      <form onSubmit={submit}>
        <p>
          A new key with the same settings is made and its secret shown once. The old key keeps working during the grace period, then
          expires.
        </p>
        <Field label="Grace period">
          {({ id }) => (
            <select id={id} value={grace} onChange={(e) => setGrace(Number(e.currentTarget.value))}>
              {GRACE.map(([seconds, text]) => (
                <option key={seconds} value={seconds}>
                  {text}
                </option>
              ))}
            </select>
          )}
        </Field>
        <FormActions submit="Rotate" busy={busy} error={error} onCancel={onClose} />
      </form>
    </Dialog>
  );
}
