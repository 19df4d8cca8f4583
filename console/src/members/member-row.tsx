import { useState } from 'preact/hooks';
import { api, unwrap, type Answer } from '../api/client';
import { Badge } from '../ui/badge';
import { ErrorMessage } from '../ui/states';
import { Time } from '../ui/time';
import type { Role } from './roles';

export type Member = Answer<'listMembers'>['data'][number];

type Props = {
  member: Member;
  isSelf: boolean;
  /** The roles the reader may give; empty when the row is read-only for them. */
  roles: readonly Role[];
  onChanged: (notice: string) => void;
  onRemove: (member: Member) => void;
  /** Given to owners: hand the organisation to this member. */
  onTransfer?: (member: Member) => void;
};

export function MemberRow({ member, isSelf, roles, onChanged, onRemove, onTransfer }: Props) {
  const [role, setRole] = useState<Role>(member.role);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  // An admin may not touch an owner: the row stays read-only (the API would refuse anyway).
  const editable = roles.length > 0 && roles.includes(member.role);

  const save = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const answer = await unwrap(api.PATCH('/v1/members/{user_id}', { params: { path: { user_id: member.user_id } }, body: { role } }));
      const revoked = answer.revoked_keys.length;
      onChanged(`${member.name} is now ${answer.role}${revoked ? `; ${revoked} of their keys were revoked` : ''}.`);
    } catch (err) {
      // Nothing changed: show the role they still have, and why.
      setRole(member.role);
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <tr>
      <td>
        {member.name} {isSelf && <Badge tone="info">You</Badge>}
      </td>
      <td class="mono">{member.email}</td>
      <td>
        {editable ? (
          <div class="actions">
            <select aria-label={`Role of ${member.name}`} value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
              {roles.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
            <button
              type="button"
              class="secondary"
              aria-label={`Save role of ${member.name}`}
              disabled={busy || role === member.role}
              onClick={() => void save()}
            >
              Save
            </button>
          </div>
        ) : (
          member.role
        )}
        <ErrorMessage error={error} />
      </td>
      <td>
        <Time iso={member.joined_at} mode="date" />
      </td>
      <td>
        <div class="actions">
          {editable && !isSelf && (
            <button type="button" class="secondary" aria-label={`Remove ${member.name}`} onClick={() => onRemove(member)}>
              Remove
            </button>
          )}
          {onTransfer && !isSelf && (
            <button type="button" class="secondary" aria-label={`Transfer ownership to ${member.name}`} onClick={() => onTransfer(member)}>
              Transfer ownership
            </button>
          )}
        </div>
      </td>
    </tr>
  );
}
