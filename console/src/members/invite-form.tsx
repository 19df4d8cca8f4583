import { useState } from 'preact/hooks';
import { api, unwrap, type Answer } from '../api/client';
import { Field } from '../ui/field';
import { ErrorMessage } from '../ui/states';
import { ROLE_HINTS, type Role } from './roles';
import { useSubmit } from '../ui/use-submit';

export type Invited = Answer<'createInvitation', 201>;

type Props = { roles: readonly Role[]; onInvited: (invitation: Invited) => void };

/** Email and role → POST /v1/invitations; the accept URL comes back once and goes to the caller. */
export function InviteForm({ roles, onInvited }: Props) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>(roles.includes('developer') ? 'developer' : (roles[0] ?? 'viewer'));

  const { submit, busy, error } = useSubmit(
    async () => {
      onInvited(await unwrap(api.POST('/v1/invitations', { body: { email, role } })));
      setEmail('');
    },
    { again: true },
  );

  return (
    <form class="card" aria-labelledby="invite-title" onSubmit={submit}>
      <h2 id="invite-title">Invite someone</h2>
      <div class="inline-form">
        <Field label="Email">
          {({ id }) => (
            <input id={id} type="email" required maxLength={254} value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
          )}
        </Field>
        <Field label="Role" hint={ROLE_HINTS[role]}>
          {({ id, describedBy }) => (
            <select id={id} aria-describedby={describedBy} value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
              {roles.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          )}
        </Field>
        <button type="submit" disabled={busy}>
          Invite
        </button>
      </div>
      <ErrorMessage error={error} />
    </form>
  );
}
