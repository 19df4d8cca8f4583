import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { Dialog } from './dialog';
import { ErrorMessage } from './states';

type Props = {
  title: string;
  open: boolean;
  /** The confirming button's words; make them name the act ("Remove member"), not "OK". */
  confirm: string;
  /** The button that closes without acting; "Cancel" unless that reads oddly next to `confirm`. */
  dismiss?: string;
  danger?: boolean;
  onConfirm: () => Promise<void>;
  onClose: () => void;
  children: ComponentChildren;
};

/** Asks before an act that cannot be undone; the API's refusal is shown inside, the dialog stays open. */
export function ConfirmDialog({ title, open, confirm, dismiss = 'Cancel', danger, onConfirm, onClose, children }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const close = () => {
    setError(undefined);
    onClose();
  };
  const go = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await onConfirm();
      close();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title={title} open={open} onClose={close}>
      {children}
      <ErrorMessage error={error} />
      <div class="actions">
        <button type="button" class={danger ? 'danger' : undefined} disabled={busy} onClick={() => void go()}>
          {confirm}
        </button>
        <button type="button" class="secondary" onClick={close}>
          {dismiss}
        </button>
      </div>
    </Dialog>
  );
}
