import { useState } from 'preact/hooks';
import { api, unwrap, type Answer } from '../api/client';
import { Dialog } from '../ui/dialog';
import { Field } from '../ui/field';
import { FormActions } from '../ui/form-actions';
import { useSubmit } from '../ui/use-submit';

export type Resource = Answer<'listResources'>['data'][number];
type ScopeRow = { key: number; name: string; description: string };

type Props = {
  /** The resource to edit, or undefined to create one. */
  editing: Resource | undefined;
  open: boolean;
  onClose: () => void;
  onSaved: (resource: Resource) => void;
};

let nextKey = 0;
const row = (name = '', description = ''): ScopeRow => ({ key: nextKey++, name, description });

/** Create or edit a resource: name, audience (fixed once made: keys name it) and its scopes. */
export function ResourceForm({ editing, open, onClose, onSaved }: Props) {
  const [name, setName] = useState(editing?.name ?? '');
  const [audience, setAudience] = useState(editing?.audience ?? '');
  const [scopes, setScopes] = useState<ScopeRow[]>(editing ? editing.scopes.map((s) => row(s.name, s.description)) : [row()]);

  const setScope = (key: number, change: Partial<ScopeRow>) =>
    setScopes((all) => all.map((s) => (s.key === key ? { ...s, ...change } : s)));

  const { submit, busy, error } = useSubmit(
    async () => {
      const declared = scopes.filter((s) => s.name.trim()).map((s) => ({ name: s.name.trim(), description: s.description.trim() }));
      const saved = editing
        ? await unwrap(api.PATCH('/v1/resources/{id}', { params: { path: { id: editing.id } }, body: { name, scopes: declared } }))
        : await unwrap(api.POST('/v1/resources', { body: { name, audience, scopes: declared } }));
      onSaved(saved);
    },
    { again: true },
  );

  return (
    <Dialog title={editing ? `Edit ${editing.name}` : 'New resource'} open={open} onClose={onClose}>
      <form onSubmit={submit}>
        <Field label="Name" hint="e.g. Billing API">
          {({ id, describedBy }) => (
            <input
              id={id}
              aria-describedby={describedBy}
              required
              maxLength={100}
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field label="Audience" hint={editing ? 'Keys name this audience, so it cannot change.' : 'e.g. https://billing.example'}>
          {({ id, describedBy }) => (
            <input
              id={id}
              aria-describedby={describedBy}
              required
              maxLength={256}
              readOnly={editing !== undefined}
              value={audience}
              onInput={(e) => setAudience(e.currentTarget.value)}
            />
          )}
        </Field>
        <fieldset>
          <legend>Scopes</legend>
          {scopes.map((s, i) => (
            <div class="scope-row" key={s.key}>
              <Field label={`Scope ${i + 1}`}>
                {({ id }) => (
                  <input
                    id={id}
                    class="mono"
                    maxLength={100}
                    value={s.name}
                    onInput={(e) => setScope(s.key, { name: e.currentTarget.value })}
                  />
                )}
              </Field>
              <Field label={`What scope ${i + 1} allows`}>
                {({ id }) => (
                  <input
                    id={id}
                    maxLength={500}
                    value={s.description}
                    onInput={(e) => setScope(s.key, { description: e.currentTarget.value })}
                  />
                )}
              </Field>
              <button
                type="button"
                class="secondary"
                aria-label={`Remove scope ${i + 1}`}
                onClick={() => setScopes((all) => all.filter((x) => x.key !== s.key))}
              >
                Remove
              </button>
            </div>
          ))}
          <button type="button" class="secondary" onClick={() => setScopes((all) => [...all, row()])}>
            Add scope
          </button>
        </fieldset>
        <FormActions submit={editing ? 'Save changes' : 'Create'} busy={busy} error={error} onCancel={onClose} />
      </form>
    </Dialog>
  );
}
