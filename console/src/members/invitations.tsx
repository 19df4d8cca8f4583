import { useState } from 'preact/hooks';
import { api, unwrap, type Answer } from '../api/client';
import { ConfirmDialog } from '../ui/confirm';
import { ErrorMessage } from '../ui/states';
import { Time } from '../ui/time';
import type { Loaded } from '../ui/use-load';
import { DataTable } from '../ui/data-table';

type Invitation = Answer<'listInvitations'>['data'][number];

/** Pending invitations, newest first, each with its expiry and (for those who may invite) a way to cancel it. */
export function PendingInvitations({ list, canCancel }: { list: Loaded<Answer<'listInvitations'>>; canCancel: boolean }) {
  const [cancelling, setCancelling] = useState<Invitation>();
  const invitations = list.data?.data ?? [];
  return (
    <section class="spaced" aria-labelledby="pending-title">
      <h2 id="pending-title">Pending invitations</h2>
      <ErrorMessage error={list.error} />
      {!list.loading && !list.error && invitations.length === 0 ? (
        <p class="empty">No pending invitations.</p>
      ) : (
        <DataTable
          label="Invitation list"
          columns={['Email', 'Role', 'Sent', 'Expires', canCancel && 'Actions']}
          busy={list.loading}
          placeholder={list.loading && !list.data && 2}
        >
          {invitations.map((i) => (
            <tr key={i.id}>
              <td class="mono">{i.email}</td>
              <td>{i.role}</td>
              <td>
                <Time iso={i.created_at} />
              </td>
              <td>
                <Time iso={i.expires_at} />
              </td>
              {canCancel && (
                <td>
                  <button type="button" class="secondary" aria-label={`Cancel invitation for ${i.email}`} onClick={() => setCancelling(i)}>
                    Cancel
                  </button>
                </td>
              )}
            </tr>
          ))}
        </DataTable>
      )}
      <ConfirmDialog
        title="Cancel this invitation?"
        open={cancelling !== undefined}
        confirm="Cancel invitation"
        dismiss="Keep it"
        danger
        onClose={() => setCancelling(undefined)}
        onConfirm={async () => {
          if (!cancelling) return;
          await unwrap(api.DELETE('/v1/invitations/{id}', { params: { path: { id: cancelling.id } } }));
          list.reload();
        }}
      >
        <p>The link sent to {cancelling?.email} will stop working at once.</p>
      </ConfirmDialog>
    </section>
  );
}
