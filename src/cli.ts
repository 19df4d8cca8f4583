import cluster from 'node:cluster';
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { systemClock } from './clock.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createApiKey } from './domain/api-keys.js';
import { createAuditLog } from './domain/audit.js';
import { bootstrapOrganisation, createOrganisation } from './domain/organisations.js';
import { createDeps } from './deps.js';
import { parseDurationSeconds } from './duration.js';
import { isId } from './ids.js';
import { pino } from 'pino';
import { createLogger } from './log.js';
import { startServer } from './main.js';
import { audienceList, cidrList, environment, keyDescription, keyName, scopeList } from './schemas.js';
import { createDb, ensureDatabase, migrateLatest } from './storage/db.js';
import { findOrgById } from './storage/organisations.js';

const USAGE = `usage: scope-auth <command> [options]

commands:
  migrate                         create the database if needed and apply migrations (safe to repeat)
  serve [--migrate]               run the HTTP service (WORKERS processes)
  bootstrap --org-name NAME       create an organisation and its first admin key
  org create --name NAME          create an organisation
  key create --org ORG_ID --name NAME [--scopes "a b"] [--audience AUD]... [--env live|test]
             [--expires-in 90d] [--description TEXT] [--allowed-cidr CIDR]...
                                  create an API key (the secret is printed once)
  signing-keys rotate [--now] [--withdraw-previous]
                                  publish the next signing key (it signs after the JWKS cache lifetime,
                                  or at once with --now); --withdraw-previous also unpublishes the older
                                  keys at once (after a compromise: their tokens stop verifying)
  signing-keys list               list signing keys (public data only)

options:
  --json                          machine-readable output
  -h, --help                      this help

configuration comes from the environment (see README: DATABASE_URL, REDIS_URL, ISSUER, ...).`;

class UsageError extends Error {}

const OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  migrate: { type: 'boolean' },
  now: { type: 'boolean' },
  'withdraw-previous': { type: 'boolean' },
  'org-name': { type: 'string' },
  name: { type: 'string' },
  org: { type: 'string' },
  scopes: { type: 'string' },
  audience: { type: 'string', multiple: true },
  env: { type: 'string' },
  'expires-in': { type: 'string' },
  description: { type: 'string' },
  'allowed-cidr': { type: 'string', multiple: true },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function output(json: boolean | undefined, data: Record<string, unknown>, human: string): void {
  process.stdout.write(json ? `${JSON.stringify(data)}\n` : `${human}\n`);
}

function required(values: Values, name: 'org-name' | 'name' | 'org'): string {
  const v = values[name];
  if (!v) throw new UsageError(`--${name} is required`);
  return v;
}

function validate<S extends z.ZodType>(schema: S, value: unknown, flag: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new UsageError(`${flag}: ${r.error.issues[0]?.message ?? 'invalid'}`);
  return r.data;
}

async function withDb<T>(config: Config, fn: (db: ReturnType<typeof createDb>) => Promise<T>): Promise<T> {
  const db = createDb(config.databaseUrl, 2);
  try {
    return await fn(db);
  } finally {
    await db.destroy();
  }
}

const cliActor = { type: 'cli', id: null } as const;
// Commands other than `serve` keep stdout for their result (`--json` must stay parseable).
const stderr = pino.destination(2);

async function serve(config: Config, values: Values): Promise<void> {
  const log = createLogger(config.logLevel);
  if (config.workers > 1 && cluster.isPrimary) {
    if (values.migrate) {
      await ensureDatabase(config.databaseUrl).catch(() => undefined);
      await withDb(config, migrateLatest);
    }
    log.info({ workers: config.workers }, 'cluster.starting');
    for (let i = 0; i < config.workers; i++) cluster.fork();
    let stopping = false;
    cluster.on('exit', (worker, code) => {
      if (stopping) return;
      log.error({ pid: worker.process.pid, code }, 'cluster.worker_exited');
      cluster.fork();
    });
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        stopping = true;
        for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
      });
    }
    return;
  }
  const running = await startServer(config, { log, migrate: values.migrate && cluster.isPrimary });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      running.shutdown(signal).then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, 'server.shutdown_failed');
          process.exit(1);
        },
      );
    });
  }
}

async function keyCreate(config: Config, values: Values): Promise<void> {
  const orgId = required(values, 'org');
  if (!isId('org', orgId)) throw new UsageError('--org must be an org ID (org_...)');
  const name = validate(keyName, required(values, 'name'), '--name');
  const scopes = validate(scopeList, (values.scopes ?? '').split(/[\s,]+/).filter(Boolean), '--scopes');
  const audiences = validate(audienceList, values.audience ?? [], '--audience');
  const allowedCidrs = validate(cidrList, values['allowed-cidr'] ?? [], '--allowed-cidr');
  const env = validate(environment, values.env ?? 'live', '--env');
  const description = validate(keyDescription, values.description ?? '', '--description');
  let expiresAt: Date | null = null;
  if (values['expires-in'] !== undefined) {
    const seconds = parseDurationSeconds(values['expires-in']);
    if (seconds === undefined) throw new UsageError('--expires-in must look like 3600, 15m, 12h, 90d or 52w');
    expiresAt = new Date(Date.now() + seconds * 1000);
  }
  const created = await withDb(config, async (db) => {
    if (!(await findOrgById(db, orgId))) throw new UsageError(`organisation ${orgId} does not exist`);
    const audit = createAuditLog(db, systemClock, createLogger('silent'));
    return db.transaction(async (trx) => {
      const result = await createApiKey({ config, clock: systemClock }, trx, {
        orgId,
        name,
        description,
        environment: env,
        scopes,
        audiences,
        allowedCidrs,
        expiresAt,
        createdBy: 'cli',
      });
      await audit.write(trx, { orgId, action: 'key.created', actor: cliActor, target: { type: 'key', id: result.key.id }, detail: { scopes, environment: env } });
      return result;
    });
  });
  const { key, secret } = created;
  output(
    values.json,
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

async function signingKeys(config: Config, sub: string | undefined, values: Values): Promise<void> {
  const deps = createDeps(config, { log: createLogger('warn', stderr) });
  try {
    if (sub === 'rotate') {
      await deps.start();
      const record = await deps.keyring.rotate({ immediate: values.now, withdrawPrevious: values['withdraw-previous'] });
      // Tell running instances now rather than at their next periodic refresh.
      await deps.bus.publish({ type: 'signing-keys.changed' }).catch(() => undefined);
      output(
        values.json,
        { kid: record.kid, alg: record.alg, activates_at: record.activatesAt.toISOString() },
        `signing key ${record.kid} (${record.alg}) published; it signs from ${record.activatesAt.toISOString()}`,
      );
    } else if (sub === 'list') {
      await deps.keyring.refresh();
      const { listSigningKeys } = await import('./storage/signing-keys.js');
      const rows = (await listSigningKeys(deps.db)).map((k) => ({
        kid: k.kid,
        alg: k.alg,
        created_at: k.createdAt.toISOString(),
        activates_at: k.activatesAt.toISOString(),
        retired_at: k.retiredAt?.toISOString() ?? null,
      }));
      output(values.json, { keys: rows }, rows.map((r) => `${r.kid}  ${r.alg}  signs ${r.activates_at} .. ${r.retired_at ?? 'now'}`).join('\n'));
    } else {
      throw new UsageError('signing-keys takes rotate or list');
    }
  } finally {
    await deps.close();
  }
}

export async function runCli(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const [command, sub] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const config = loadConfig();
  if (command !== 'serve' && config.devDefaults.length > 0) {
    process.stderr.write(`WARNING: ${config.devDefaults.join(', ')} not set: using insecure development defaults (refused when NODE_ENV=production)\n`);
  }
  switch (command) {
    case 'migrate': {
      await ensureDatabase(config.databaseUrl).catch(() => undefined); // without the CREATE DATABASE right, migrate what exists
      const applied = await withDb(config, migrateLatest);
      output(values.json, { applied }, applied.length ? `applied: ${applied.join(', ')}` : 'already up to date');
      return;
    }
    case 'serve':
      return serve(config, values);
    case 'bootstrap': {
      const name = validate(keyName, required(values, 'org-name'), '--org-name');
      const { org, key, secret } = await withDb(config, (db) =>
        bootstrapOrganisation({ config, db, clock: systemClock, audit: createAuditLog(db, systemClock, createLogger('silent')) }, name, cliActor),
      );
      output(
        values.json,
        { org_id: org.id, key_id: key.id, secret },
        `organisation ${org.id} (${org.name}) created\nadmin key: ${key.id} (scopes: ${key.scopes.join(' ')})\nsecret (shown once, store it now): ${secret}`,
      );
      return;
    }
    case 'org': {
      if (sub !== 'create') throw new UsageError('org takes create');
      const name = validate(keyName, required(values, 'name'), '--name');
      const org = await withDb(config, (db) =>
        createOrganisation({ config, db, clock: systemClock, audit: createAuditLog(db, systemClock, createLogger('silent')) }, name, cliActor),
      );
      output(values.json, { org_id: org.id, name: org.name }, `organisation ${org.id} (${org.name}) created`);
      return;
    }
    case 'key':
      if (sub !== 'create') throw new UsageError('key takes create');
      return keyCreate(config, values);
    case 'signing-keys':
      return signingKeys(config, sub, values);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

runCli(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`scope-auth: ${(err as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (err instanceof ConfigError) {
    process.stderr.write(`scope-auth: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`scope-auth: ${(err as Error).message ?? String(err)}\n`);
  process.exit(1);
});
