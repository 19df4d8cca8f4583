import type { ComponentChildren } from 'preact';
import { ErrorMessage } from './states';

type Props = {
  /** The submit button's text. */
  submit: ComponentChildren;
  busy: boolean;
  /** The last submit's error, in the API's words. */
  error: unknown;
  danger?: boolean;
  /** Given in dialogs: a Cancel button that closes without submitting. */
  onCancel?: () => void;
  /** Shown between the error and the buttons (a "Saved." status, say). */
  children?: ComponentChildren;
};

/** The foot of a form: what went wrong, then submit (disabled while it runs) and Cancel. */
export function FormActions({ submit, busy, error, danger, onCancel, children }: Props) {
  return (
    <>
      <ErrorMessage error={error} />
      {children}
      <div class="actions">
        <button type="submit" class={danger ? 'danger' : undefined} disabled={busy}>
          {submit}
        </button>
        {onCancel && (
          <button type="button" class="secondary" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </>
  );
}
