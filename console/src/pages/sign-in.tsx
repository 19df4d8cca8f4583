import { useState } from 'preact/hooks';
import { api, unwrap } from '../api/client';
import { useSession } from '../session';
import { TextField } from '../ui/field';
import { useSsoAvailable } from './sign-in-methods';
import { useSubmit } from '../ui/use-submit';
import { FormActions } from '../ui/form-actions';

export function SignInPage() {
  const { signedIn, notice } = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const sso = useSsoAvailable();

  const { submit, busy, error } = useSubmit(
    async () => {
      const answer = await unwrap(api.POST('/v1/session', { body: { email, password } }));
      await signedIn(answer.csrf_token);
    },
    { again: true },
  );

  return (
    <section class="narrow">
      <h1>Sign in</h1>
      {notice && <p role="status">{notice}</p>}
      <form onSubmit={submit}>
        <TextField label="Email" type="email" autoComplete="username" required value={email} onValue={setEmail} />
        <TextField label="Password" type="password" autoComplete="current-password" required value={password} onValue={setPassword} />
        <FormActions submit="Sign in" busy={busy} error={error} />
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
