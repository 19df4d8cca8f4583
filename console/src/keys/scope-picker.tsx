import { TextField } from '../ui/field';

export type Resource = { id: string; name: string; audience: string; scopes: Array<{ name: string; description: string }> };
export type Picked = { scopes: string[]; audiences: string[] };

type Props = { resources: readonly Resource[]; value: Picked; onChange: (value: Picked) => void };

const toggle = (list: string[], item: string, on: boolean) => (on ? [...new Set([...list, item])] : list.filter((x) => x !== item));

/**
 * The org's APIs as checkboxes: each audience, and its scopes with their descriptions. A scope must be
 * declared by one of the key's audiences, so ticking a scope ticks its API too.
 */
export function ScopePicker({ resources, value, onChange }: Props) {
  return (
    <>
      {resources.map((r) => (
        <fieldset key={r.id} class="resource">
          <legend>
            {r.name} <code>{r.audience}</code>
          </legend>
          <label class="check">
            <input
              type="checkbox"
              checked={value.audiences.includes(r.audience)}
              onChange={(e) => {
                const on = e.currentTarget.checked;
                const own = new Set(r.scopes.map((s) => s.name));
                onChange({
                  audiences: toggle(value.audiences, r.audience, on),
                  scopes: on ? value.scopes : value.scopes.filter((s) => !own.has(s)),
                });
              }}
            />{' '}
            Audience {r.audience}
          </label>
          <ul class="scopes">
            {r.scopes.map((s) => (
              <li key={s.name}>
                <label class="check">
                  <input
                    type="checkbox"
                    checked={value.scopes.includes(s.name)}
                    onChange={(e) => {
                      const on = e.currentTarget.checked;
                      onChange({
                        scopes: toggle(value.scopes, s.name, on),
                        audiences: on ? toggle(value.audiences, r.audience, true) : value.audiences,
                      });
                    }}
                  />{' '}
                  <code>{s.name}</code> <span class="muted">{s.description}</span>
                </label>
              </li>
            ))}
          </ul>
        </fieldset>
      ))}
    </>
  );
}

/** An org without resources: free-form scopes and audiences. */
export function FreeScopes({
  scopes,
  audiences,
  onScopes,
  onAudiences,
}: {
  scopes: string;
  audiences: string;
  onScopes: (v: string) => void;
  onAudiences: (v: string) => void;
}) {
  return (
    <>
      <TextField
        label="Scopes"
        hint="Separated by spaces, e.g. billing:read billing:write. The organisation has declared no APIs yet."
        maxLength={2000}
        value={scopes}
        onValue={onScopes}
      />
      <TextField
        label="Audiences"
        hint="The APIs the tokens are for, separated by spaces; empty means the default audience."
        maxLength={2000}
        value={audiences}
        onValue={onAudiences}
      />
    </>
  );
}
