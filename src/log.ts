import { pino, type Logger } from 'pino';

export type { Logger };

// Redaction by path, so no call site has to remember: secrets, tokens and credentials never reach a log line.
export const REDACT_PATHS = [
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

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'scope-auth' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
