import { useState } from 'preact/hooks';
import { api, unwrap } from '../api/client';
import { useSession } from '../session';
import { TextField } from '../ui/field';
import { ErrorMessage } from '../ui/states';
import { useSsoAvailable } from './sign-in-methods';

export function SignInPage() {
  const { signedIn, notice } = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const sso = useSsoAvailable();

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
        <TextField label="Email" type="email" autoComplete="username" required value={email} onValue={setEmail} />
        <TextField label="Password" type="password" autoComplete="current-password" required value={password} onValue={setPassword} />
        <ErrorMessage error={error} />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      {sso && (
        <p class="alt">
          {/* A full page load: the identity provider's pages are not part of the console. */}
          <a class="button secondary" href="/v1/sso/start">
            Sign in with SSO
          </a>
        </p>
      )}
    </section>
  );
}
