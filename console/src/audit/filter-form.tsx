import { useState } from 'preact/hooks';
import { Field } from '../ui/field';
import { fromLocalInput, KNOWN_ACTIONS, toLocalInput, type AuditFilters } from './filters';

type Props = { value: AuditFilters; onApply: (filters: AuditFilters) => void };

/**
 * The filter form; applying it changes the URL, which is what reloads the list. The page mounts a new
 * form for each URL, so back and forward show what the URL says.
 */
export function AuditFilterForm({ value, onApply }: Props) {
  const [draft, setDraft] = useState(value);
  const set = (name: keyof AuditFilters) => (e: { currentTarget: HTMLInputElement }) => {
    const text = e.currentTarget.value.trim();
    setDraft((d) => ({ ...d, [name]: text }));
  };

  return (
    <form
      class="audit-filters"
      aria-label="Filter events"
      onSubmit={(e) => {
        e.preventDefault();
        onApply(draft);
      }}
    >
      <Field label="Action">
        {({ id }) => <input id={id} list="audit-actions" value={draft.action} onInput={set('action')} placeholder="any" />}
      </Field>
      <datalist id="audit-actions">
        {KNOWN_ACTIONS.map((a) => (
          <option key={a} value={a} />
        ))}
      </datalist>
      <Field label="Actor" hint="usr_… or key_…">
        {({ id, describedBy }) => <input id={id} aria-describedby={describedBy} value={draft.actor} onInput={set('actor')} />}
      </Field>
      <Field label="Key" hint="key_…">
        {({ id, describedBy }) => <input id={id} aria-describedby={describedBy} value={draft.key_id} onInput={set('key_id')} />}
      </Field>
      <Field label="From">
        {({ id }) => (
          <input
            id={id}
            type="datetime-local"
            value={toLocalInput(draft.from)}
            onInput={(e) => {
              const from = fromLocalInput(e.currentTarget.value);
              setDraft((d) => ({ ...d, from }));
            }}
          />
        )}
      </Field>
      <Field label="To">
        {({ id }) => (
          <input
            id={id}
            type="datetime-local"
            value={toLocalInput(draft.to)}
            onInput={(e) => {
              const to = fromLocalInput(e.currentTarget.value);
              setDraft((d) => ({ ...d, to }));
            }}
          />
        )}
      </Field>
      <div class="actions">
        <button type="submit">Apply filters</button>
        <button type="button" class="secondary" onClick={() => onApply({ action: '', actor: '', key_id: '', from: '', to: '' })}>
          Clear filters
        </button>
      </div>
    </form>
  );
}
