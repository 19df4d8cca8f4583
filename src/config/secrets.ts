import { readFileSync } from 'node:fs';

// Secrets of the configuration: `*_FILE` reading, development defaults, production refusals.

// Development-only values: never used when NODE_ENV=production.
const DEV_SECRETS = {
  SECRET_PEPPER: 'dev-only-pepper-do-not-use-in-production-0000',
  KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
} as const;

/** 32 bytes from base64 or 64 hex characters; undefined otherwise. */
export function decodeEncryptionKey(value: string): Buffer | undefined {
  const buf = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  return buf.length === 32 ? buf : undefined;
}

// DESIGN.md: every secret can also come from a file (`NAME_FILE`), e.g. a mounted Docker secret.
const FILE_SECRETS = [
  'SECRET_PEPPER',
  'KEY_ENCRYPTION_KEY',
  'METRICS_TOKEN',
  'DATABASE_URL',
  'REDIS_URL',
  'REDIS_PASSWORD',
  'REDIS_SENTINEL_PASSWORD',
] as const;

/** Puts the contents of each `NAME_FILE` in `env[NAME]` (trailing newline removed); returns the names that failed. */
export function readSecretFiles(env: Record<string, string>, problems: string[]): Set<string> {
  const failed = new Set<string>();
  const fail = (name: string, problem: string) => (failed.add(name), problems.push(`${name}_FILE: ${problem}`));
  for (const name of FILE_SECRETS) {
    const path = env[`${name}_FILE`];
    if (path === undefined) continue;
    if (env[name] !== undefined) {
      fail(name, `set ${name} or ${name}_FILE, not both`);
      continue;
    }
    let value: string;
    try {
      value = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      fail(name, `cannot read ${path} (${(err as { code?: string }).code ?? 'error'})`);
      continue;
    }
    if (value === '') fail(name, `${path} is empty`);
    else env[name] = value;
  }
  return failed;
}

const DEV_KEK = Buffer.from(DEV_SECRETS.KEY_ENCRYPTION_KEY, 'base64');

export type SecretCheck = { production: boolean; problems: string[]; devDefaults: string[] };

/** A set value, or (outside production) the development default; undefined when required and missing. */
function secretOrDefault(name: keyof typeof DEV_SECRETS, value: string | undefined, c: SecretCheck, required: string): string | undefined {
  if (value !== undefined) return value;
  if (!c.production) {
    c.devDefaults.push(name);
    return DEV_SECRETS[name];
  }
  c.problems.push(`${name}: required when NODE_ENV=production (${required})`);
  return undefined;
}

export function checkPepper(value: string | undefined, c: SecretCheck): string | undefined {
  const pepper = secretOrDefault('SECRET_PEPPER', value, c, 'at least 32 characters');
  if (c.production && pepper === DEV_SECRETS.SECRET_PEPPER) {
    c.problems.push('SECRET_PEPPER: is the development default; set a random value of at least 32 characters');
  }
  return pepper;
}

export function checkEncryptionKey(value: string | undefined, c: SecretCheck): Buffer | undefined {
  const raw = secretOrDefault('KEY_ENCRYPTION_KEY', value, c, '32 bytes, base64 or hex');
  if (raw === undefined) return undefined;
  const kek = decodeEncryptionKey(raw);
  if (!kek) c.problems.push('KEY_ENCRYPTION_KEY: must be 32 bytes, base64 or 64 hex characters');
  else if (c.production && kek.equals(DEV_KEK))
    c.problems.push('KEY_ENCRYPTION_KEY: is the development default; set 32 random bytes (base64 or hex)');
  // All zero, or any other single byte repeated: a placeholder, not a key.
  else if (c.production && kek.every((b) => b === kek[0]))
    c.problems.push('KEY_ENCRYPTION_KEY: is one byte repeated; set 32 random bytes (base64 or hex)');
  return kek;
}
