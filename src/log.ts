import { hostname } from 'node:os';
import { pino, type Logger } from 'pino';

export type { Logger };

// Redaction by path, so no call site has to remember: secrets, tokens and credentials never reach a log line.
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'secret',
  '*.secret',
  'client_secret',
  '*.client_secret',
  'access_token',
  '*.access_token',
  'token',
  '*.token',
  'password',
  '*.password',
  'config.secretPepper',
  'config.keyEncryptionKey',
  'secretPepper',
  'keyEncryptionKey',
];

// Shapes of credentials, wherever they turn up (a secret pasted as a key ID, a token in a message).
const SECRET_SHAPES = /sk_(?:live|test)_[0-9A-Za-z]{20,}|eyJ[\w-]+\.[\w-]+\.[\w-]*/g;

/** `text` with every secret- or JWT-shaped part replaced by `[redacted]`. */
export function redactSecrets(text: string): string {
  return text.replace(SECRET_SHAPES, '[redacted]');
}

const MAX_DEPTH = 10;
const isPlainObject = (v: object) => {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
};

/**
 * Redaction by value, the net under the paths above: every string anywhere in a log object.
 * Errors are serialised here (pino's own serialiser, then redacted) so their message, stack,
 * cause and own fields (an AppError's detail) are covered too. Never mutates its input.
 */
function redactDeep(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1, seen));
    // pino's serialiser gives type, message and stack with every cause, plus the error's own fields.
    const fields = value instanceof Error ? pino.stdSerializers.err(value) : isPlainObject(value) ? value : undefined;
    if (!fields) return value; // Date, Buffer and the like: no free text to leak
    return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, redactDeep(v, depth + 1, seen)]));
  } finally {
    seen.delete(value);
  }
}

const redactObject = (obj: Record<string, unknown>) => redactDeep(obj) as Record<string, unknown>;

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      // pid and hostname on every line, to tell workers and hosts apart.
      base: { service: 'scope-auth', pid: process.pid, hostname: hostname() },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { log: redactObject },
      // `formatters.log` has already turned a logged error into a redacted plain object; an error
      // that reaches the serialiser some other way is serialised and redacted the same way.
      serializers: {
        err: (e: unknown) => (e instanceof Error ? redactDeep(e) : e),
        msg: (m: unknown) => (typeof m === 'string' ? redactSecrets(m) : m),
      },
    },
    destination,
  );
}
