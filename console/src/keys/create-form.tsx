import { useEffect, useState } from 'preact/hooks';
import { api, unwrap, type Answer } from '../api/client';
import { Field, TextField } from '../ui/field';
import { Loading } from '../ui/states';
import { EXPIRY_CHOICES, expiryFields, words, type ExpiryChoice } from './expiry';
import { FreeScopes, ScopePicker, type Picked, type Resource } from './scope-picker';
import { FormActions } from '../ui/form-actions';
import { useSubmit } from '../ui/use-submit';

export type Created = Answer<'createKey', 201>;

/** Name, description, environment, scopes and audiences, expiry, allowed addresses, exchange logging; then POST /v1/keys. */
export function CreateKeyForm({ onCreated }: { onCreated: (key: Created) => void }) {
  const [resources, setResources] = useState<Resource[]>();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [environment, setEnvironment] = useState<'live' | 'test'>('live');
  const [picked, setPicked] = useState<Picked>({ scopes: [], audiences: [] });
  const [freeScopes, setFreeScopes] = useState('');
  const [freeAudiences, setFreeAudiences] = useState('');
  const [expiry, setExpiry] = useState<ExpiryChoice>('90');
  const [date, setDate] = useState('');
  const [cidrs, setCidrs] = useState('');
  const [logExchanges, setLogExchanges] = useState(false);
  // Without the resources the form still works, with free-text scopes: the reason is shown with the form's errors.
  const [loadError, setLoadError] = useState<unknown>();

  useEffect(() => {
    unwrap(api.GET('/v1/resources'))
      .then((answer) => setResources(answer.data))
      .catch((err: unknown) => {
        setResources([]);
        setLoadError(err);
      });
  }, []);

  const { submit, busy, error } = useSubmit(
    async () => {
      const free = resources?.length === 0;
      const created = await unwrap(
        api.POST('/v1/keys', {
          body: {
            name: name.trim(),
            description: description.trim(),
            environment,
            scopes: free ? words(freeScopes) : picked.scopes,
            audiences: free ? words(freeAudiences) : picked.audiences,
            allowed_cidrs: words(cidrs),
            log_exchanges: logExchanges,
            ...expiryFields(expiry, date),
          },
        }),
      );
      onCreated(created);
    },
    { again: true },
  );

  if (!resources) return <Loading />;
  return (
    <form class="form" onSubmit={submit}>
      <TextField label="Name" hint="What uses the key, e.g. “billing worker”." required maxLength={100} value={name} onValue={setName} />
      <TextField label="Description" rows={2} maxLength={500} value={description} onValue={setDescription} />
      <Field label="Environment">
        {({ id }) => (
          <select id={id} value={environment} onChange={(e) => setEnvironment(e.currentTarget.value as 'live' | 'test')}>
            <option value="live">live</option>
            <option value="test">test</option>
          </select>
        )}
      </Field>
      <fieldset class="group">
        <legend>Scopes and audiences</legend>
        {resources.length > 0 ? (
          <ScopePicker resources={resources} value={picked} onChange={setPicked} />
        ) : (
          <FreeScopes scopes={freeScopes} audiences={freeAudiences} onScopes={setFreeScopes} onAudiences={setFreeAudiences} />
        )}
      </fieldset>
      <Field label="Expires">
        {({ id }) => (
          <select id={id} value={expiry} onChange={(e) => setExpiry(e.currentTarget.value as ExpiryChoice)}>
            {EXPIRY_CHOICES.map(([value, text]) => (
              <option key={value} value={value}>
                {text}
              </option>
            ))}
          </select>
        )}
      </Field>
      {expiry === 'date' && <TextField label="Expiry date" type="date" required value={date} onValue={setDate} />}
      <TextField
        label="Allowed addresses"
        hint="IPv4 or IPv6 CIDRs, e.g. 203.0.113.0/24, one per line; empty means from anywhere."
        rows={2}
        maxLength={4000}
        value={cidrs}
        onValue={setCidrs}
      />
      <label class="check">
        <input type="checkbox" checked={logExchanges} onChange={(e) => setLogExchanges(e.currentTarget.checked)} /> Log every exchange in
        the audit log
      </label>
      <FormActions submit="Create" busy={busy} error={error ?? loadError} />
    </form>
  );
}
