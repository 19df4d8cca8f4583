import { createOrganisation } from '../domain/organisations.js';
import { keyName } from '../schemas.js';
import { listOrgs } from '../storage/organisations.js';
import { bySubcommand, output, required, validate, withInstance, type Command } from './support.js';

export const org: Command = {
  name: 'org',
  usage: `org create --name NAME           create an organisation
  org list                        list organisations`,
  run: bySubcommand('org', {
    async create({ config, values }) {
      const name = validate(keyName, required(values, 'name'), '--name');
      const created = await withInstance(config, (deps) => createOrganisation(deps, name, { type: 'cli', id: null }));
      output(values, { org_id: created.id, name: created.name }, `organisation ${created.id} (${created.name}) created`);
    },
    async list({ config, values }) {
      const orgs = await withInstance(config, (deps) => listOrgs(deps.db));
      const rows = orgs.map((o) => ({ org_id: o.id, name: o.name, created_at: o.createdAt.toISOString() }));
      output(values, { orgs: rows }, rows.map((r) => `${r.org_id}  ${r.name}`).join('\n') || '(no organisations)');
    },
  }),
};
