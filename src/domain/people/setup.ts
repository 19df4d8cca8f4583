import { AppError } from '../../errors.js';
import { insertSetupToken, useSetupToken } from '../../storage/invitations.js';
import { countUsers } from '../../storage/people.js';
import type { RequestContext } from '../audit.js';
import { createOrgIn } from '../organisations.js';
import { openSession, type SessionDeps, type SignInResult } from './sessions.js';
import { consoleLink, findByToken, hashToken, newToken } from './single-use-tokens.js';
import { addMemberIn, createUserIn, newPasswordHash } from './users.js';

const SETUP_HOURS = 24;
// Serialises first-owner setups: two racing requests must not both find "no user yet".
const SETUP_LOCK = 727_319;

/** On a store with no user: a one-time setup URL (valid 24 h or until used); otherwise undefined. */
export async function issueSetupUrl(
  deps: Pick<SessionDeps, 'db' | 'clock' | 'config'>,
): Promise<{ url: string; expiresAt: Date } | undefined> {
  if ((await countUsers(deps.db)) > 0) return undefined;
  const token = newToken();
  const now = deps.clock.now();
  const expiresAt = new Date(now + SETUP_HOURS * 3_600_000);
  await insertSetupToken(deps.db, hashToken(deps.config, token), new Date(now), expiresAt);
  return { url: consoleLink(deps.config, 'setup', token), expiresAt };
}

/**
 * The first owner and their organisation, from a setup token. The token is found by its HMAC (so
 * no comparison leaks how much of it matched) and spent in the same transaction.
 */
export async function completeSetup(
  deps: SessionDeps,
  input: { token: string; email: string; name: string; password: string; orgName: string },
  context: RequestContext,
): Promise<SignInResult> {
  const passwordHash = await newPasswordHash(input.password);
  const now = new Date(deps.clock.now());
  const { user, org } = await deps.db.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(?)', [SETUP_LOCK]);
    if ((await countUsers(trx)) > 0) throw new AppError('conflict', 'setup is already done: sign in instead');
    const unusable = new AppError('forbidden', 'setup token is invalid, used or expired', { reason: 'setup_token' });
    await findByToken(deps.config, input.token, (hash) => useSetupToken(trx, hash, now), unusable);
    const user = await createUserIn(deps, trx, { email: input.email, name: input.name, passwordHash });
    const actor = { type: 'user' as const, id: user.id, email: user.email };
    const org = await createOrgIn(deps, trx, input.orgName, actor);
    await addMemberIn(deps, trx, user, org.id, 'owner', actor);
    return { user, org };
  });
  return openSession(deps, user, { id: org.id, name: org.name }, 'owner', context);
}
