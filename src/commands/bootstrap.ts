import { bootstrapOrganisation } from '../domain/organisations.js';
import { keyName } from '../schemas.js';
import { output, required, validate, withInstance, type Command } from './support.js';

export const bootstrap: Command = {
  name: 'bootstrap',
  usage: 'bootstrap --org-name NAME       create an organisation and its first admin key (the secret is printed once)',
  async run({ config, values }) {
    const name = validate(keyName, required(values, 'org-name'), '--org-name');
    const { org, key, secret } = await withInstance(config, (deps) => bootstrapOrganisation(deps, name, { type: 'cli', id: null }));
    output(
      values,
      { org_id: org.id, key_id: key.id, secret },
      `organisation ${org.id} (${org.name}) created\nadmin key: ${key.id} (scopes: ${key.scopes.join(' ')})\nsecret (shown once, store it now): ${secret}`,
    );
  },
};
