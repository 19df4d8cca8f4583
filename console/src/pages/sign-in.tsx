import { useState } from 'preact/hooks';
import { api, unwrap } from '../api/client';
import { useSession } from '../session';
import { Field } from '../ui/field';
import { ErrorMessage } from '../ui/states';

export function SignInPage() {
  const { signedIn, notice } = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const answer = await unwrap(api.POST('/v1/session', { body: { email, password } }));
      await signedIn(answer.csrf_token);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="narrow">
      <h1>Sign in</h1>
      {notice && <p role="status">{notice}</p>}
      <form onSubmit={(e) => void submit(e)}>
        <Field label="Email">
          {({ id }) => (
            <input id={id} type="email" autoComplete="username" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
          )}
        </Field>
        <Field label="Password">
          {({ id }) => (
            <input
              id={id}
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          )}
        </Field>
        <ErrorMessage error={error} />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </section>
  );
}
