import request from 'supertest';
import type { Express } from 'express';
import type { Deps } from '../../src/deps.js';
import type { Organisation, Role, User } from '../../src/domain/model.js';
import { addMemberIn, createUserIn, newPasswordHash } from '../../src/domain/people/users.js';
import { ulid } from '../../src/ids.js';

export const PASSWORD = 'a long enough test password';
// One Argon2id hash for every fixture person: hashing costs ~30 ms, and tests sign in with this password.
let sharedHash: Promise<string> | undefined;

/** A person with `role` in `org`, signing in with PASSWORD; a unique address each time. */
export async function createPerson(deps: Deps, org: Organisation, role: Role, name = `${role} person`): Promise<User> {
  const passwordHash = await (sharedHash ??= newPasswordHash(PASSWORD));
  const email = `${role}-${ulid().toLowerCase()}@example.test`;
  return deps.db.transaction(async (trx) => {
    const user = await createUserIn(deps, trx, { email, name, passwordHash });
    await addMemberIn(deps, trx, user, org.id, role, { type: 'cli', id: null });
    return user;
  });
}

export type SignedIn = { cookie: string; csrf: string; user: User };

/** The cookie pair (name=value) and CSRF token of a fresh session. */
export async function signIn(app: Express, user: User, orgId?: string): Promise<SignedIn> {
  const res = await request(app)
    .post('/v1/session')
    .send({ email: user.email, password: PASSWORD, ...(orgId ? { org_id: orgId } : {}) });
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${JSON.stringify(res.body)}`);
  const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const cookie = setCookie[0]?.split(';')[0];
  if (!cookie) throw new Error('no session cookie');
  return { cookie, csrf: res.body.csrf_token as string, user };
}

/** Headers of a session request that changes something. */
export const asPerson = (s: SignedIn) => ({ Cookie: s.cookie, 'X-CSRF-Token': s.csrf });
