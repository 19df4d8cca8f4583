import { ID_PATTERN } from '../ids.js';
import { isRole } from '../domain/people/roles.js';
import { createMember, resetPassword } from '../domain/people/users.js';
import { keyName } from '../schemas.js';
import { bySubcommand, output, UsageError, validate, withInstance, type Values, type Command } from './support.js';

/** The password from stdin (never an argument: those show in `ps` and shell history); one trailing newline dropped. */
async function readPasswordStdin(values: Values): Promise<string> {
  if (!values['password-stdin']) throw new UsageError('--password-stdin is required: pipe the password in');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

function emailOf(values: Values): string {
  if (!values.email) throw new UsageError('--email is required');
  return values.email;
}

export const user: Command = {
  name: 'user',
  usage: `user create --email E --name NAME (--org-name NAME | --org ORG_ID) [--role owner] --password-stdin
                                  a person and their membership (a new org with --org-name)
  user reset-password --email E --password-stdin
                                  set a new password; every session of that person ends`,
  run: bySubcommand('user', {
    async create({ config, values }) {
      const email = emailOf(values);
      const name = validate(keyName, values.name ?? email, '--name');
      const role = values.role ?? 'owner';
      if (!isRole(role)) throw new UsageError('--role must be owner, admin, developer or viewer');
      if ((values['org-name'] === undefined) === (values.org === undefined))
        throw new UsageError('give --org-name (a new organisation) or --org ORG_ID');
      if (values.org !== undefined && !ID_PATTERN.org.test(values.org)) throw new UsageError('--org must be an organisation ID (org_...)');
      const org = values.org !== undefined ? { id: values.org } : { newName: validate(keyName, values['org-name'], '--org-name') };
      const password = await readPasswordStdin(values);
      const created = await withInstance(config, (deps) =>
        createMember(deps, { email, name, password, role, org }, { type: 'cli', id: null }),
      );
      output(
        values,
        { user_id: created.user.id, email: created.user.email, org_id: created.org.id, role },
        `user ${created.user.id} (${created.user.email}) is ${role} of ${created.org.id} (${created.org.name})`,
      );
    },
    async 'reset-password'({ config, values }) {
      const email = emailOf(values);
      const password = await readPasswordStdin(values);
      // Live: running servers hear at once that this person's sessions are gone.
      const updated = await withInstance(config, (deps) => resetPassword(deps, email, password, { type: 'cli', id: null }), { live: true });
      output(values, { user_id: updated.id, email: updated.email }, `password of ${updated.email} changed; their sessions have ended`);
    },
  }),
};
