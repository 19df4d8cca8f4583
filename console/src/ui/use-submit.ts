import { useState } from 'preact/hooks';

/**
 * A form's submit: busy from the click, the error shown if the action fails. On success it stays busy
 * (the action closes the dialog or leaves the page) unless `again`: a form that stays to be used again.
 */
export function useSubmit(
  action: () => Promise<void>,
  { again = false }: { again?: boolean } = {},
): { submit: (e: Event) => void; busy: boolean; error: unknown } {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    action().then(
      () => {
        if (again) setBusy(false);
      },
      (err: unknown) => {
        setError(err);
        setBusy(false);
      },
    );
  };
  return { submit, busy, error };
}
