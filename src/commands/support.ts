import type { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { z } from 'zod';
import type { Config } from '../config.js';
import { createDeps, type Deps } from '../deps.js';
import type { Caller } from '../domain/key-management.js';
import { MANAGEMENT_SCOPES } from '../domain/scopes.js';
import { createLifecycle } from '../lifecycle.js';
import { createLogger } from '../log.js';
import { openDatabase } from '../storage/database.js';

/** A mistake in how the command was called: exit 2 with the usage. */
export class UsageError extends Error {}

/** Every option any verb takes; each verb's usage says which are its own. */
export const OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
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
  status: { type: 'string' },
  limit: { type: 'string' },
  reason: { type: 'string' },
  'grace-period': { type: 'string' },
  'previous-key-file': { type: 'string' },
  email: { type: 'string' },
  role: { type: 'string' },
  'password-stdin': { type: 'boolean' },
} as const;

export type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

export type CommandContext = { config: Config; values: Values; /** Positionals after the verb. */ args: string[] };

export type Command = {
  name: string;
  /** Usage lines shown by `scope-auth --help` and `scope-auth <verb> --help`. */
  usage: string;
  run(ctx: CommandContext): Promise<void>;
};

export function output(values: Values, data: unknown, human: string): void {
  process.stdout.write(values.json ? `${JSON.stringify(data)}\n` : `${human}\n`);
}

export function required(values: Values, name: 'org-name' | 'name' | 'org'): string {
  const v = values[name];
  if (!v) throw new UsageError(`--${name} is required`);
  return v;
}

export function validate<S extends z.ZodType>(schema: S, value: unknown, flag: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new UsageError(`${flag}: ${r.error.issues[0]?.message ?? 'invalid'}`);
  return r.data;
}

/** The CLI acts as the operator: within one org, with every management scope. */
export function cliCaller(orgId: string): Caller {
  return { orgId, actor: { type: 'cli', id: null }, scopes: MANAGEMENT_SCOPES };
}

/**
 * Runs `fn` with the service's dependencies, then closes them. Logs go to stderr: stdout is the
 * command's result. `live`: start the instance first (signing keys loaded, bus subscribed), for
 * commands whose effect running servers must hear at once (revoke, rotate).
 */
export async function withInstance<T>(config: Config, fn: (deps: Deps) => Promise<T>, options: { live?: boolean } = {}): Promise<T> {
  // Embedded: beside a running server, through its socket; otherwise the store is opened here.
  const database = await openDatabase(config, { shareWithServer: true });
  const deps = createDeps(config, { log: createLogger('warn', pino.destination(2)), database });
  const lifecycle = createLifecycle(deps);
  try {
    if (options.live) await lifecycle.start();
    return await fn(deps);
  } finally {
    await lifecycle.stop();
  }
}

/** A verb's `run` that hands over to its subcommand (`key create`, `org list`, …). */
export function bySubcommand(verb: string, subcommands: Record<string, (ctx: CommandContext) => Promise<void>>): Command['run'] {
  return async (ctx) => {
    const sub = ctx.args[0];
    const fn = sub === undefined || !Object.hasOwn(subcommands, sub) ? undefined : subcommands[sub];
    if (!fn) throw new UsageError(`${verb} takes ${Object.keys(subcommands).join(', ')}`);
    await fn(ctx);
  };
}
