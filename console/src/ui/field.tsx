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

type TextProps = {
  label: string;
  hint?: string;
  value: string;
  onValue: (value: string) => void;
  minLength?: number;
  maxLength?: number;
  required?: boolean;
  type?: 'text' | 'email' | 'password' | 'date';
  autoComplete?: string;
  /** A textarea of this many rows, instead of a one-line input. */
  rows?: number;
};

/** A labelled text input (or textarea): most of the console's form fields. */
export function TextField({ label, hint, value, onValue, rows, ...attributes }: TextProps) {
  return (
    <Field label={label} hint={hint}>
      {({ id, describedBy }) =>
        rows === undefined ? (
          <input id={id} aria-describedby={describedBy} {...attributes} value={value} onInput={(e) => onValue(e.currentTarget.value)} />
        ) : (
          <textarea
            id={id}
            aria-describedby={describedBy}
            rows={rows}
            maxLength={attributes.maxLength}
            required={attributes.required}
            value={value}
            onInput={(e) => onValue(e.currentTarget.value)}
          />
        )
      }
    </Field>
  );
}
