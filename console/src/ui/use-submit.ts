import { useState } from 'preact/hooks';

/**
 * A dialog form's submit: busy from the click, the error shown if the action fails. On success it
 * stays busy, since the action's callback closes the dialog.
 */
export function useSubmit(action: () => Promise<void>): { submit: (e: Event) => void; busy: boolean; error: unknown } {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    action().catch((err: unknown) => {
      setError(err);
      setBusy(false);
    });
  };
  return { submit, busy, error };
}
