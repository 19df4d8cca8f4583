import { CopyButton } from '../ui/copy';
import { Dialog } from '../ui/dialog';
import type { Invited } from './invite-form';

/** The accept URL, shown this once (the service keeps only its hash): copy it and send it to the person. */
export function InviteLinkDialog({ invitation, onClose }: { invitation: Invited | undefined; onClose: () => void }) {
  return (
    <Dialog title="Invitation created" open={invitation !== undefined} onClose={onClose}>
      {invitation && (
        <>
          <p>
            Send this link to <strong>{invitation.email}</strong>. It makes them a {invitation.role}, works once and expires in 7 days.
          </p>
          <p class="warning">This link will not be shown again. Copy it now.</p>
          <div class="once">
            <output class="mono" aria-label="Invitation link">
              {invitation.accept_url}
            </output>
            <CopyButton value={invitation.accept_url} />
          </div>
          <div class="actions">
            <button type="button" onClick={onClose}>
              Done
            </button>
          </div>
        </>
      )}
    </Dialog>
  );
}
