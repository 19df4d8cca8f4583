import type { Deps } from '../deps.js';
import {
  createKeyAs,
  getKey,
  listKeysPage,
  MAX_GRACE_PERIOD_SECONDS,
  revokeKeyAs,
  rotateKeyAs,
  type Caller,
} from '../domain/key-management.js';
import { parseDurationSeconds } from '../duration.js';
import { keyView } from '../http/serializers.js';
import { isId } from '../ids.js';
import { audienceList, cidrList, environment, keyDescription, keyName, safeText, scopeList } from '../schemas.js';
import { findKeyById } from '../storage/api-keys.js';
import { findOrgById } from '../storage/organisations.js';
import {
  bySubcommand,
  cliCaller,
  output,
  required,
  UsageError,
  validate,
  withInstance,
  type Command,
  type CommandContext,
  type Values,
} from './support.js';

const STATUSES = ['active', 'expired', 'revoked'] as const;

function duration(values: Values, flag: 'expires-in' | 'grace-period'): number | undefined {
  const raw = values[flag];
  if (raw === undefined) return undefined;
  const seconds = parseDurationSeconds(raw);
  if (seconds === undefined) throw new UsageError(`--${flag} must look like 3600, 15m, 12h, 90d or 52w`);
  return seconds;
}

/** The CLI acting within the org of key `id` (the key must exist). */
async function callerForKey(deps: Deps, id: string | undefined): Promise<{ caller: Caller; id: string }> {
  if (!id || !isId('key', id)) throw new UsageError('give the key ID (key_...)');
  const key = await findKeyById(deps.db, id);
  if (!key) throw new UsageError(`key ${id} does not exist`);
  return { caller: cliCaller(key.orgId), id };
}

async function orgCaller(deps: Deps, values: Values): Promise<Caller> {
  const orgId = required(values, 'org');
  if (!isId('org', orgId)) throw new UsageError('--org must be an org ID (org_...)');
  if (!(await findOrgById(deps.db, orgId))) throw new UsageError(`organisation ${orgId} does not exist`);
  return cliCaller(orgId);
}

async function create({ config, values }: CommandContext): Promise<void> {
  const input = {
    name: validate(keyName, required(values, 'name'), '--name'),
    scopes: validate(scopeList, (values.scopes ?? '').split(/[\s,]+/).filter(Boolean), '--scopes'),
    audiences: validate(audienceList, values.audience ?? [], '--audience'),
    allowedCidrs: validate(cidrList, values['allowed-cidr'] ?? [], '--allowed-cidr'),
    environment: validate(environment, values.env ?? 'live', '--env'),
    description: validate(keyDescription, values.description ?? '', '--description'),
  };
  // A key without scopes can exchange, but its tokens allow nothing: say so rather than surprise.
  if (input.scopes.length === 0) process.stderr.write('note: this key has no scopes (pass --scopes "a b" to grant some)\n');
  const expiresIn = duration(values, 'expires-in');
  const { key, secret } = await withInstance(config, async (deps) => {
    const expiresAt = expiresIn === undefined ? null : new Date(deps.clock.now() + expiresIn * 1000);
    return createKeyAs(deps, await orgCaller(deps, values), { ...input, expiresAt });
  });
  output(
    values,
    {
      org_id: key.orgId,
      key_id: key.id,
      secret,
      name: key.name,
      environment: key.environment,
      scopes: key.scopes,
      audiences: key.audiences,
      expires_at: key.expiresAt?.toISOString() ?? null,
    },
    `key created: ${key.id} in ${key.orgId}\nsecret (shown once, store it now): ${secret}`,
  );
}

async function list({ config, values }: CommandContext): Promise<void> {
  const status = values.status === undefined ? undefined : STATUSES.find((s) => s === values.status);
  if (values.status !== undefined && !status) throw new UsageError(`--status must be one of ${STATUSES.join(', ')}`);
  const limit = values.limit === undefined ? 100 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1_000) throw new UsageError('--limit must be a whole number from 1 to 1000');
  const views = await withInstance(config, async (deps) => {
    const page = await listKeysPage(deps, await orgCaller(deps, values), { status, limit });
    return page.keys.map((k) => keyView(k, deps.clock.now()));
  });
  output(
    values,
    { keys: views },
    views.map((k) => `${k.id}  ${k.status.padEnd(7)}  ${k.environment}  ${k.name}  [${k.scopes.join(' ')}]`).join('\n') || '(no keys)',
  );
}

async function get({ config, values, args: [, id] }: CommandContext): Promise<void> {
  const view = await withInstance(config, async (deps) => {
    const target = await callerForKey(deps, id);
    return keyView(await getKey(deps, target.caller, target.id), deps.clock.now());
  });
  output(values, view, JSON.stringify(view, null, 2));
}

async function revoke({ config, values, args: [, id] }: CommandContext): Promise<void> {
  const reason = values.reason === undefined ? null : validate(safeText(500), values.reason, '--reason');
  const view = await withInstance(
    config,
    async (deps) => {
      const target = await callerForKey(deps, id);
      return keyView(await revokeKeyAs(deps, target.caller, target.id, reason), deps.clock.now());
    },
    { live: true },
  );
  output(values, view, `key ${view.id} revoked at ${view.revoked_at ?? '?'}`);
}

async function rotate({ config, values, args: [, id] }: CommandContext): Promise<void> {
  const grace = duration(values, 'grace-period') ?? 0;
  if (grace > MAX_GRACE_PERIOD_SECONDS) throw new UsageError('--grace-period is at most 30d');
  const result = await withInstance(
    config,
    async (deps) => {
      const target = await callerForKey(deps, id);
      const { created, old } = await rotateKeyAs(deps, target.caller, target.id, grace);
      return { ...keyView(created.key, deps.clock.now()), secret: created.secret, previous_key: keyView(old, deps.clock.now()) };
    },
    { live: true },
  );
  output(
    values,
    result,
    `key ${result.id} replaces ${result.previous_key.id} (which expires ${result.previous_key.expires_at ?? 'never'})\nsecret (shown once, store it now): ${result.secret}`,
  );
}

export const key: Command = {
  name: 'key',
  usage: `key create --org ORG_ID --name NAME [--scopes "a b"] [--audience AUD]... [--env live|test]
             [--expires-in 90d] [--description TEXT] [--allowed-cidr CIDR]...
                                  create an API key (the secret is printed once)
  key list --org ORG_ID [--status active|expired|revoked] [--limit N]
  key get KEY_ID                  one key (never its secret)
  key revoke KEY_ID [--reason TEXT]
                                  revoke at once, everywhere
  key rotate KEY_ID [--grace-period 1h]
                                  a new key with the same settings (its secret printed once); the old one
                                  expires after the grace period, or at once`,
  run: bySubcommand('key', { create, list, get, revoke, rotate }),
};
