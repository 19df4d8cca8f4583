import { useState } from 'preact/hooks';
import { api, unwrap } from '../api/client';
import { navigate } from '../router';
import { useSession } from '../session';
import { TextField } from '../ui/field';
import { useFragmentToken } from '../ui/fragment-token';
import { NewPassword } from '../ui/password';
import { ErrorMessage } from '../ui/states';

/** Joining an organisation from an invitation link (…/console/accept#token=…). */
export function AcceptPage() {
  const token = useFragmentToken();
  const { signedIn } = useSession();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const answer = await unwrap(api.POST('/v1/invitations/accept', { body: { token, name: name.trim(), password } }));
      await signedIn(answer.csrf_token);
      navigate('/', { replace: true });
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <section class="narrow">
      <h1>Accept invitation</h1>
      {!token ? (
        <p role="alert" class="error">
          This page needs the invitation link you were sent (it ends in #token=…). Ask the person who invited you for a new one.
        </p>
      ) : (
        <form onSubmit={(e) => void submit(e)}>
          <p>Choose your name and a password. If you already have an account, enter its password.</p>
          <TextField label="Name" required maxLength={100} autoComplete="name" value={name} onValue={setName} />
          <NewPassword value={password} onInput={setPassword} />
          <ErrorMessage error={error} />
          <button type="submit" disabled={busy}>
            Join
          </button>
        </form>
      )}
    </section>
  );
}
