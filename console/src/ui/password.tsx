import { Field } from './field';

/** A password field with the rule the service enforces, said before the person types. */
export function NewPassword({ value, onInput, label = 'Password' }: { value: string; onInput: (v: string) => void; label?: string }) {
  return (
    <Field label={label} hint="At least 12 characters; common passwords are refused.">
      {({ id, describedBy }) => (
        <input
          id={id}
          type="password"
          autoComplete="new-password"
          required
          minLength={12}
          maxLength={200}
          aria-describedby={describedBy}
          value={value}
          onInput={(e) => onInput(e.currentTarget.value)}
        />
      )}
    </Field>
  );
}
