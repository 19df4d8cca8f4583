import { useState } from 'preact/hooks';
import { api, unwrap } from '../api/client';
import { navigate } from '../router';
import { useSession } from '../session';
import { TextField } from '../ui/field';
import { useFragmentToken } from '../ui/fragment-token';
import { NewPassword } from '../ui/password';
import { useSubmit } from '../ui/use-submit';
import { FormActions } from '../ui/form-actions';

/** Joining an organisation from an invitation link (…/console/accept#token=…). */
export function AcceptPage() {
  const token = useFragmentToken();
  const { signedIn } = useSession();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');

  const { submit, busy, error } = useSubmit(async () => {
    const answer = await unwrap(api.POST('/v1/invitations/accept', { body: { token, name: name.trim(), password } }));
    await signedIn(answer.csrf_token);
    navigate('/', { replace: true });
  });

  return (
    <section class="narrow">
      <h1>Accept invitation</h1>
      {!token ? (
        <p role="alert" class="error">
          This page needs the invitation link you were sent (it ends in #token=…). Ask the person who invited you for a new one.
        </p>
      ) : (
        <form onSubmit={submit}>
          <p>Choose your name and a password. If you already have an account, enter its password.</p>
          <TextField label="Name" required maxLength={100} autoComplete="name" value={name} onValue={setName} />
          <NewPassword value={password} onInput={setPassword} />
          <FormActions submit="Join" busy={busy} error={error} />
        </form>
      )}
    </section>
  );
}
