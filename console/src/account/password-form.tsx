import { useState } from 'preact/hooks';
import { api, unwrap } from '../api/client';
import { useSession } from '../session';
import { TextField } from '../ui/field';
import { NewPassword } from '../ui/password';
import { ErrorMessage } from '../ui/states';
import { useSubmit } from '../ui/use-submit';

/** Change one's password: every other session ends; this one gets a new cookie and CSRF token (via /v1/me). */
export function PasswordForm({ onChanged }: { onChanged: () => void }) {
  const { refresh } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [done, setDone] = useState(false);

  const { submit, busy, error } = useSubmit(
    async () => {
      setDone(false);
      await unwrap(api.POST('/v1/me/password', { body: { current_password: current, new_password: next } }));
      await refresh();
      setCurrent('');
      setNext('');
      setDone(true);
      onChanged();
    },
    { again: true },
  );

  return (
    <section class="spaced" aria-labelledby="password-title">
      <h2 id="password-title">Change password</h2>
      <form class="narrow-form" onSubmit={submit}>
        <TextField label="Current password" type="password" autoComplete="current-password" required value={current} onValue={setCurrent} />
        <NewPassword
          label="New password"
          hint="At least 12 characters, and not a common password. Your other sessions will end."
          value={next}
          onInput={setNext}
        />
        <ErrorMessage error={error} />
        <p role="status" class={done ? 'notice' : undefined}>
          {done ? 'Password changed. Your other sessions have ended.' : ''}
        </p>
        <button type="submit" disabled={busy}>
          Change password
        </button>
      </form>
    </section>
  );
}
