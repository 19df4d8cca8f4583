import { TextField } from './field';

/** A password field with the rule the service enforces, said before the person types. */
export function NewPassword({
  value,
  onInput,
  label = 'Password',
  hint = 'At least 12 characters; common passwords are refused.',
}: {
  value: string;
  onInput: (v: string) => void;
  label?: string;
  hint?: string;
}) {
  return (
    <TextField
      label={label}
      hint={hint}
      type="password"
      autoComplete="new-password"
      required
      minLength={12}
      maxLength={200}
      value={value}
      onValue={onInput}
    />
  );
}
