import { useState } from 'preact/hooks';
import { api, unwrap } from '../api/client';
import { InviteForm, type Invited } from '../members/invite-form';
import { InviteLinkDialog } from '../members/invite-link-dialog';
import { PendingInvitations } from '../members/invitations';
import { MemberRow, type Member } from '../members/member-row';
import { manageableRoles } from '../members/roles';
import type { PageProps } from '../screens';
import { can, useSession } from '../session';
import { ConfirmDialog } from '../ui/confirm';
import { ErrorMessage } from '../ui/states';
import { useLoad } from '../ui/use-load';
import '../ui/pages.css';
import { DataTable } from '../ui/data-table';

/** Members and their roles, invitations; read-only for those who may not manage members. */
export function MembersPage(_props: PageProps) {
  const { session, refresh } = useSession();
  const roles = manageableRoles(session);
  const canWrite = can(session, 'members:write');
  const members = useLoad(() => unwrap(api.GET('/v1/members')));
  const invitations = useLoad(() => unwrap(api.GET('/v1/invitations')));
  const [invited, setInvited] = useState<Invited>();
  const [removing, setRemoving] = useState<Member>();
  const [transferring, setTransferring] = useState<Member>();
  const isOwner = can(session, 'members:manage_owners');
  const [notice, setNotice] = useState<string>();
  const list = members.data?.data ?? [];

  return (
    <>
      <section>
        <h1>Members</h1>
        {canWrite && (
          <InviteForm
            roles={roles}
            onInvited={(i) => {
              setInvited(i);
              invitations.reload();
            }}
          />
        )}
        {isOwner && (
          <p class="hint">
            Transfer ownership makes a member an owner and you an admin in one step; you can also make more owners. The last owner cannot
            leave or be demoted.
          </p>
        )}
        <p role="status" class={notice ? 'notice' : undefined}>
          {notice}
        </p>
        <ErrorMessage error={members.error} />
        <DataTable
          label="Member list"
          caption={`Members of ${session?.org.name ?? 'this organisation'}`}
          columns={['Name', 'Email', 'Role', 'Joined', <span class="visually-hidden">Actions</span>]}
          busy={members.loading}
          placeholder={members.loading && !members.data && 3}
        >
          {list.map((m) => (
            <MemberRow
              key={`${m.user_id}:${m.role}`}
              member={m}
              isSelf={m.user_id === session?.user.id}
              roles={roles}
              onRemove={setRemoving}
              onTransfer={isOwner ? setTransferring : undefined}
              onChanged={(text) => {
                setNotice(text);
                members.reload();
              }}
            />
          ))}
        </DataTable>
      </section>
      <PendingInvitations list={invitations} canCancel={canWrite} />
      <InviteLinkDialog invitation={invited} onClose={() => setInvited(undefined)} />
      <ConfirmDialog
        title={`Transfer ownership to ${transferring?.name ?? ''}?`}
        open={transferring !== undefined}
        confirm="Transfer ownership"
        onClose={() => setTransferring(undefined)}
        onConfirm={async () => {
          if (!transferring) return;
          await unwrap(api.POST('/v1/members/{user_id}/transfer-ownership', { params: { path: { user_id: transferring.user_id } } }));
          setNotice(`${transferring.name} is now an owner; you are an admin.`);
          // Your own role changed: the navigation and what you may do follow it.
          await refresh();
          members.reload();
        }}
      >
        <p>
          {transferring?.name} ({transferring?.email}) becomes an owner of {session?.org.name}, and you become an admin at once. Only an
          owner can make you an owner again.
        </p>
      </ConfirmDialog>
      <ConfirmDialog
        title={`Remove ${removing?.name ?? ''}?`}
        open={removing !== undefined}
        confirm="Remove member"
        danger
        onClose={() => setRemoving(undefined)}
        onConfirm={async () => {
          if (!removing) return;
          await unwrap(api.DELETE('/v1/members/{user_id}', { params: { path: { user_id: removing.user_id } } }));
          setNotice(`${removing.name} was removed; their API keys were revoked.`);
          members.reload();
        }}
      >
        <p>
          {removing?.name} ({removing?.email}) loses access to this organisation at once: their sessions here end and{' '}
          <strong>every API key they own is revoked</strong>. This cannot be undone.
        </p>
      </ConfirmDialog>
    </>
  );
}
