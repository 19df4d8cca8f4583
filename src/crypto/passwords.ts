import { hash, verify } from '@node-rs/argon2';

// OWASP Password Storage Cheat Sheet: Argon2id, m = 19 MiB, t = 2, p = 1.
const PARAMS = {
  algorithm: 2 /* Algorithm.Argon2id (a const enum verbatimModuleSyntax cannot read) */,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

// The most common passwords of 12 characters or more (from public breach corpora): length alone lets them through.
const COMMON = new Set([
  '123456789012',
  '1234567890123',
  '12345678901234',
  '123456123456',
  '111111111111',
  '000000000000',
  'qwertyuiopasdfgh',
  'qwertyuiop123',
  'qwerty123456',
  '1q2w3e4r5t6y',
  '1qaz2wsx3edc',
  'passwordpassword',
  'password1234',
  'password12345',
  'password123456',
  'iloveyou1234',
  'abcdefghijkl',
  'abc123abc123',
  'administrator',
  'letmein12345',
  'welcome12345',
  'changeme1234',
  'aaaaaaaaaaaa',
  'qwertyqwerty',
  'asdfghjkl123',
  'zaq12wsxcde3',
  'football1234',
  'baseball1234',
  'princess1234',
  'superman1234',
  'trustno1trustno1',
  'monkey123456',
  'dragon123456',
  'sunshine1234',
  'masterpassword',
  'correcthorsebatterystaple',
]);

/** Why a new password is refused, or undefined when it is acceptable (DESIGN.md: ≥ 12 characters, not a common one). */
export function passwordProblem(password: string): string | undefined {
  if ([...password].length < MIN_PASSWORD_LENGTH) return `password must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `password must be at most ${MAX_PASSWORD_LENGTH} characters`;
  if (COMMON.has(password.toLowerCase())) return 'password is too common; choose another';
  return undefined;
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMS);
}

// Verified when the email is unknown or has no password, so both failures cost one Argon2id run.
let dummyHash: Promise<string> | undefined;
const dummy = () => (dummyHash ??= hash('scope-auth dummy password for uniform timing', PARAMS));

/** Constant work whether or not there is a hash to check: unknown accounts take as long as wrong passwords. */
export async function verifyPassword(stored: string | null | undefined, password: string): Promise<boolean> {
  const target = stored ?? (await dummy());
  const ok = await verify(target, password).catch(() => false);
  return ok && stored != null;
}
