import { useState } from 'preact/hooks';
import { api, unwrap } from '../api/client';
import { navigate } from '../router';
import { useSession } from '../session';
import { TextField } from '../ui/field';
import { useFragmentToken } from '../ui/fragment-token';
import { NewPassword } from '../ui/password';
import { useSubmit } from '../ui/use-submit';
import { FormActions } from '../ui/form-actions';

/** The first owner, from the one-time setup URL the service logged at its first start (…/console/setup#token=…). */
export function SetupPage() {
  const token = useFragmentToken();
  const { signedIn } = useSession();
  const [form, setForm] = useState({ email: '', name: '', password: '', org_name: '' });
  const set = (field: keyof typeof form) => (value: string) => setForm({ ...form, [field]: value });

  const { submit, busy, error } = useSubmit(async () => {
    const answer = await unwrap(api.POST('/v1/setup', { body: { token, ...form } }));
    await signedIn(answer.csrf_token);
    navigate('/', { replace: true });
  });

  return (
    <section class="narrow">
      <h1>Set up scope-auth</h1>
      {!token ? (
        <p role="alert" class="error">
          This page needs the setup link the service printed at its first start (it ends in #token=…). Open that link, or create the first
          owner with npx scope-auth user create.
        </p>
      ) : (
        <form onSubmit={submit}>
          <p>Create the first owner of this scope-auth and its organisation.</p>
          <TextField
            label="Organisation"
            hint="Its name, as members will see it."
            required
            maxLength={100}
            autoComplete="organization"
            value={form.org_name}
            onValue={set('org_name')}
          />
          <TextField
            label="Email"
            type="email"
            required
            maxLength={254}
            autoComplete="username"
            value={form.email}
            onValue={set('email')}
          />
          <TextField label="Name" required maxLength={100} autoComplete="name" value={form.name} onValue={set('name')} />
          <NewPassword value={form.password} onInput={set('password')} />
          <FormActions submit="Create owner" busy={busy} error={error} />
        </form>
      )}
    </section>
  );
}
