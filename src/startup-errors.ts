import type { Config } from './config.js';
import { KeyEncryptionKeyMismatchError } from './domain/signing-keys.js';
import { isDatabaseUnavailable } from './storage/db.js';
import { StoreLockedError } from './storage/embedded-store.js';

/** A failure the operator can fix: the message says what to do (the CLI prints it on one line, no stack). */
export class OperatorError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OperatorError';
  }
}

/** Where DATABASE_URL points, without its credentials. */
function databaseWhere(url: string | undefined): string {
  if (url === undefined) return 'the embedded store';
  const u = new URL(url);
  return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
}

const codeOf = (err: unknown): string | undefined => {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
};

/** What an operator should do about a start-up or CLI failure, when we know; undefined otherwise. */
export function explainStartupError(err: unknown, config: Config): OperatorError | undefined {
  if (err instanceof OperatorError) return err;
  if (err instanceof KeyEncryptionKeyMismatchError || err instanceof StoreLockedError)
    return new OperatorError(err.message, { cause: err });
  const code = codeOf(err);
  if (code === 'EADDRINUSE') {
    return new OperatorError(
      `port ${config.port} is already in use (another scope-auth or another program): set PORT to a free port, e.g. PORT=${config.port === 65535 ? 8081 : config.port + 1}`,
      { cause: err },
    );
  }
  if (code === '3D000') {
    return new OperatorError(
      `the database ${databaseWhere(config.databaseUrl)} does not exist: run \`scope-auth migrate\` (it creates it where allowed), or create it and check DATABASE_URL`,
      { cause: err },
    );
  }
  if (code === '42P01') {
    return new OperatorError(
      `the database ${databaseWhere(config.databaseUrl)} has no scope-auth tables yet: run \`scope-auth migrate\` first (or start the server with \`serve --migrate\`)`,
      { cause: err },
    );
  }
  if (config.databaseUrl !== undefined && isDatabaseUnavailable(err)) {
    return new OperatorError(
      `cannot reach PostgreSQL at ${databaseWhere(config.databaseUrl)} (DATABASE_URL): start it, or correct DATABASE_URL. ` +
        'Without DATABASE_URL, scope-auth runs on its embedded store in DATA_DIR (one instance, no PostgreSQL needed).',
      { cause: err },
    );
  }
  return undefined;
}
