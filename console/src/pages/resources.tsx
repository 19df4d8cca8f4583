import { useState } from 'preact/hooks';
import { api, unwrap } from '../api/client';
import { ResourceCard } from '../resources/resource-card';
import { ResourceForm, type Resource } from '../resources/resource-form';
import type { PageProps } from '../screens';
import { can, useSession } from '../session';
import { ConfirmDialog } from '../ui/confirm';
import { ErrorMessage, Loading } from '../ui/states';
import { useLoad } from '../ui/use-load';
import '../ui/pages.css';

type Editing = { resource?: Resource; n: number; open: boolean };

/** The org's APIs: what a key's audiences and scopes may be. Read-only without resources:write. */
export function ResourcesPage(_props: PageProps) {
  const { session } = useSession();
  const canWrite = can(session, 'resources:write');
  const list = useLoad(() => unwrap(api.GET('/v1/resources')));
  // A new form each time it opens (n), so it starts from the resource's current values; closing keeps it
  // mounted until then, so the native dialog closes properly and gives focus back to the button.
  const [editing, setEditing] = useState<Editing>();
  const [deleting, setDeleting] = useState<Resource>();
  const [notice, setNotice] = useState<string>();
  const resources = list.data?.data ?? [];
  const open = (resource?: Resource) => setEditing({ resource, n: (editing?.n ?? 0) + 1, open: true });
  const close = () => setEditing((e) => e && { ...e, open: false });

  return (
    <section>
      <div class="head-row">
        <h1>Resources</h1>
        {canWrite && (
          <button type="button" onClick={() => open()}>
            New resource
          </button>
        )}
      </div>
      <p class="hint">
        Once the organisation declares resources, a key’s audiences must be theirs and its scopes must be declared by one of them.
      </p>
      <p role="status" class={notice ? 'notice' : undefined}>
        {notice}
      </p>
      <ErrorMessage error={list.error} />
      {list.loading && !list.data && <Loading />}
      {!list.loading && !list.error && resources.length === 0 && (
        <p class="empty">No resources yet: keys may name any audience and scope.</p>
      )}
      {resources.map((r) => (
        <ResourceCard key={r.id} resource={r} canWrite={canWrite} onEdit={() => open(r)} onDelete={() => setDeleting(r)} />
      ))}
      {editing && (
        <ResourceForm
          key={editing.n}
          editing={editing.resource}
          open={editing.open}
          onClose={close}
          onSaved={(saved) => {
            setNotice(`${saved.name} was ${editing.resource ? 'saved' : 'created'}.`);
            close();
            list.reload();
          }}
        />
      )}
      <ConfirmDialog
        title={`Delete ${deleting?.name ?? ''}?`}
        open={deleting !== undefined}
        confirm="Delete resource"
        danger
        onClose={() => setDeleting(undefined)}
        onConfirm={async () => {
          if (!deleting) return;
          await unwrap(api.DELETE('/v1/resources/{id}', { params: { path: { id: deleting.id } } }));
          setNotice(`${deleting.name} was deleted.`);
          list.reload();
        }}
      >
        <p>
          Keys can no longer name <code>{deleting?.audience}</code> once it is deleted. The service refuses while an active key uses it.
        </p>
      </ConfirmDialog>
    </section>
  );
}
