import { useState } from 'preact/hooks';
import { api, unwrap, type Answer } from '../api/client';
import { ConfirmDialog } from '../ui/confirm';
import { SkeletonRows } from '../ui/skeleton';
import { ErrorMessage } from '../ui/states';
import { Time } from '../ui/time';
import type { Loaded } from '../ui/use-load';
import { ScrollArea } from '../ui/scroll-area';

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
        <ScrollArea label="Invitation list">
          <table aria-busy={list.loading}>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Sent</th>
                <th scope="col">Expires</th>
                {canCancel && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {list.loading && !list.data ? (
                <SkeletonRows rows={2} columns={canCancel ? 5 : 4} />
              ) : (
                invitations.map((i) => (
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
                        <button
                          type="button"
                          class="secondary"
                          aria-label={`Cancel invitation for ${i.email}`}
                          onClick={() => setCancelling(i)}
                        >
                          Cancel
                        </button>
                      </td>
                    )}
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </ScrollArea>
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
