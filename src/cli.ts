import { parseArgs } from 'node:util';
import { bootstrap } from './commands/bootstrap.js';
import { key } from './commands/key.js';
import { migrate } from './commands/migrate.js';
import { org } from './commands/org.js';
import { serve } from './commands/serve.js';
import { signingKeys } from './commands/signing-keys.js';
import { user } from './commands/user.js';
import { OPTIONS, UsageError, type Command } from './commands/support.js';
import { ConfigError, loadConfig } from './config.js';
import { explainStartupError, OperatorError } from './startup-errors.js';
import { VERSION } from './version.js';

const COMMANDS: Command[] = [migrate, serve, bootstrap, org, key, user, signingKeys];

const usage = (commands: Command[]) => `usage: scope-auth <command> [options]

commands:
${commands.map((c) => `  ${c.usage}`).join('\n')}

options:
  --json                          machine-readable output
  -h, --help                      this help (or one command's: scope-auth <command> --help)
  --version                       the version

configuration comes from the environment (see README: DATABASE_URL, REDIS_URL, ISSUER, ...).`;

export async function runCli(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  // `scope-auth help key` is `scope-auth key --help`.
  const helpFor = positionals[0] === 'help' ? positionals[1] : undefined;
  const [name, ...args] = helpFor === undefined ? positionals : [helpFor, '--help'];
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (values.help || args.includes('--help') || !name || name === 'help') {
    process.stdout.write(`${usage(command ? [command] : COMMANDS)}\n`);
    return;
  }
  if (!command) throw new UsageError(`unknown command "${name}"`);
  const config = loadConfig();
  // `serve` logs these itself; other verbs keep stdout for their result.
  if (command !== serve) {
    for (const warning of config.warnings) process.stderr.write(`WARNING: ${warning}\n`);
    if (config.devDefaults.length > 0) {
      process.stderr.write(
        `WARNING: ${config.devDefaults.join(', ')} not set: using insecure development defaults (refused when NODE_ENV=production)\n`,
      );
    }
  }
  try {
    await command.run({ config, values, args });
  } catch (err) {
    throw explainStartupError(err, config) ?? err;
  }
}

runCli(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    // One line and where to look, not the whole usage.
    process.stderr.write(`scope-auth: ${(err as Error).message} (see scope-auth --help)\n`);
    process.exit(2);
  }
  if (err instanceof OperatorError) {
    process.stderr.write(`scope-auth: ${err.message}\n`);
    process.exit(1);
  }
  if (err instanceof ConfigError) {
    process.stderr.write(`scope-auth: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`scope-auth: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
