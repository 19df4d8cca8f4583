import type { ComponentChildren } from 'preact';
import { useId } from 'preact/hooks';

type Props = {
  label: string;
  hint?: string;
  /** Renders the control with the id and description ids it must carry. */
  children: (ids: { id: string; describedBy?: string }) => ComponentChildren;
};

/** A labelled control: the label's text is the control's accessible name (outside tests rely on it). */
export function Field({ label, hint, children }: Props) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children({ id, describedBy: hintId })}
      {hint && (
        <p class="hint" id={hintId}>
          {hint}
        </p>
      )}
    </div>
  );
}
