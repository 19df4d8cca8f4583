import * as oidc from 'openid-client';
import { AppError } from '../../errors.js';
import { hashSecret } from '../../crypto/secrets.js';
import { findMembership, findOrgName, findUserByEmail, listMembershipsOfUser } from '../../storage/people.js';
import type { RequestContext } from '../audit.js';
import type { Role } from '../model.js';
import { lockPendingInvitationForEmail, markAccepted } from '../../storage/invitations.js';
import { openSession, type SessionDeps, type SignInResult } from './sessions.js';
import { addMemberIn, createUserIn } from './users.js';

const ATTEMPT_MINUTES = 10;
type OidcSettings = NonNullable<SessionDeps['config']['oidc']>;

// One discovery per process and provider, kept while it succeeds.
const discovered = new Map<string, Promise<oidc.Configuration>>();
function configurationFor(settings: OidcSettings, allowHttp: boolean): Promise<oidc.Configuration> {
  let found = discovered.get(settings.issuer);
  if (!found) {
    const options = allowHttp && settings.issuer.startsWith('http:') ? { execute: [oidc.allowInsecureRequests] } : undefined;
    found = oidc.discovery(new URL(settings.issuer), settings.clientId, settings.clientSecret, undefined, options);
    found.catch(() => discovered.delete(settings.issuer));
    discovered.set(settings.issuer, found);
  }
  return found;
}

function settingsOf(deps: Pick<SessionDeps, 'config'>): OidcSettings {
  if (!deps.config.oidc) throw new AppError('not_found', 'single sign-on is not configured');
  return deps.config.oidc;
}

const redirectUri = (deps: Pick<SessionDeps, 'config'>) => `${deps.config.issuer}/v1/sso/callback`;
const allowHttp = (deps: Pick<SessionDeps, 'config'>) => deps.config.nodeEnv !== 'production';

/** Starts the authorization-code flow with PKCE: the provider URL, and the state the browser must bring back. */
export async function startSso(deps: SessionDeps, orgId: string | undefined): Promise<{ url: string; state: string }> {
  const settings = settingsOf(deps);
  const config = await configurationFor(settings, allowHttp(deps)).catch((err: unknown) => {
    throw new AppError('unavailable', 'the identity provider cannot be reached', undefined, { cause: err });
  });
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const verifier = oidc.randomPKCECodeVerifier();
  // Unauthenticated callers make these rows: abandoned ones go as new ones come.
  await deps.db('sso_attempts').where('expires_at', '<=', new Date(deps.clock.now())).delete();
  await deps.db('sso_attempts').insert({
    state_hash: hashSecret(deps.config.secretPepper, state),
    nonce,
    code_verifier: verifier,
    org_id: orgId ?? null,
    expires_at: new Date(deps.clock.now() + ATTEMPT_MINUTES * 60_000),
  });
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri(deps),
    scope: 'openid email profile',
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  return { url: url.href, state };
}

const refused = (reason: string) => new AppError('invalid_credentials', 'single sign-on failed', { reason });

/**
 * The provider's answer: state (bound to this browser), PKCE and nonce are checked by openid-client;
 * only a verified email signs in, as a member or by the org's allowed domain (as a viewer).
 */
export async function finishSso(
  deps: SessionDeps,
  input: { callbackUrl: URL; browserState: string | undefined },
  context: RequestContext,
): Promise<SignInResult> {
  try {
    return await finishSsoUnaudited(deps, input, context);
  } catch (err) {
    // Every failed sign-in is audited with its reason (issue 19, item 8); the caller sees only the code.
    if (err instanceof AppError) {
      deps.audit.enqueue({
        orgId: null,
        action: 'session.failed',
        actor: { type: 'anonymous', id: null },
        context,
        detail: { method: 'sso', ...err.detail, code: err.code },
      });
    }
    throw err;
  }
}

async function finishSsoUnaudited(
  deps: SessionDeps,
  input: { callbackUrl: URL; browserState: string | undefined },
  context: RequestContext,
): Promise<SignInResult> {
  const settings = settingsOf(deps);
  const state = input.callbackUrl.searchParams.get('state') ?? '';
  // Login CSRF: the state must be the one this browser started with.
  if (!input.browserState || input.browserState !== state) throw refused('state_mismatch');
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- knex's builder types cannot state this query's result
  const [attempt] = (await deps
    .db('sso_attempts')
    .where({ state_hash: hashSecret(deps.config.secretPepper, state) })
    .andWhere('expires_at', '>', new Date(deps.clock.now()))
    .delete()
    .returning(['nonce', 'code_verifier', 'org_id'])) as Array<{ nonce: string; code_verifier: string; org_id: string | null }>;
  if (!attempt) throw refused('unknown_state');
  const config = await configurationFor(settings, allowHttp(deps));
  const tokens = await oidc
    .authorizationCodeGrant(config, input.callbackUrl, {
      pkceCodeVerifier: attempt.code_verifier,
      expectedState: state,
      expectedNonce: attempt.nonce,
      idTokenExpected: true,
    })
    .catch((err: unknown) => {
      throw new AppError('invalid_credentials', 'single sign-on failed', {
        reason: 'provider_refused',
        error: err instanceof Error ? err.message.slice(0, 200) : 'unknown',
      });
    });
  const idClaims = tokens.claims();
  if (!idClaims) throw refused('no_id_token');
  // Providers that keep the ID token minimal give the email at the UserInfo endpoint (OIDC Core §5.4).
  const claims: Record<string, unknown> =
    typeof idClaims.email === 'string' ? idClaims : await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub).catch(() => ({}));
  const email = typeof claims.email === 'string' ? claims.email : undefined;
  if (!email || claims.email_verified !== true) throw refused('email_not_verified');
  return signInVerifiedEmail(
    deps,
    email,
    typeof claims.name === 'string' ? claims.name.slice(0, 100) : email,
    attempt.org_id ?? undefined,
    context,
  );
}

async function signInVerifiedEmail(
  deps: SessionDeps,
  email: string,
  name: string,
  orgId: string | undefined,
  context: RequestContext,
): Promise<SignInResult> {
  const user = await findUserByEmail(deps.db, email);
  if (user) {
    const membership =
      orgId === undefined ? (await listMembershipsOfUser(deps.db, user.id))[0] : await findMembership(deps.db, user.id, orgId);
    const org = membership && (await findOrgName(deps.db, membership.orgId));
    if (membership && org) return openSession(deps, user, org, membership.role, context);
  }
  // Invited: the provider has proven the address the invitation is bound to.
  const invited = await deps.db.transaction(async (trx) => {
    const invitation = await lockPendingInvitationForEmail(trx, email, orgId, new Date(deps.clock.now()));
    if (!invitation) return undefined;
    const u = user ?? (await createUserIn(deps, trx, { email, name, passwordHash: null }));
    if (await findMembership(trx, u.id, invitation.orgId)) return undefined;
    const actor = { type: 'user' as const, id: u.id, email: u.email };
    await addMemberIn(deps, trx, u, invitation.orgId, invitation.role, actor);
    await markAccepted(trx, invitation.id, new Date(deps.clock.now()));
    await deps.audit.write(trx, {
      orgId: invitation.orgId,
      action: 'invitation.accepted',
      actor,
      target: { type: 'invitation', id: invitation.id },
      context,
      detail: { role: invitation.role, via: 'sso' },
    });
    return { user: u, invitation };
  });
  if (invited) {
    const org = (await findOrgName(deps.db, invited.invitation.orgId)) ?? { id: invited.invitation.orgId, name: '' };
    return openSession(deps, invited.user, org, invited.invitation.role, context);
  }
  // Not a member: an org that allows this address's domain takes them in as a viewer.
  const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
  const q = deps.db('organisations').whereRaw('? = ANY(sso_domains)', [domain]).orderBy('id');
  if (orgId !== undefined) q.andWhere({ id: orgId });
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- knex's builder types cannot state this query's result
  const org = (await q.first('id', 'name')) as { id: string; name: string } | undefined;
  if (!org)
    throw new AppError('forbidden', 'this account is not a member of an organisation here; ask for an invitation', {
      reason: 'not_a_member',
    });
  const role: Role = 'viewer';
  const actor = { type: 'system' as const, id: null };
  const member = await deps.db.transaction(async (trx) => {
    const u = user ?? (await createUserIn(deps, trx, { email, name, passwordHash: null }));
    await addMemberIn(deps, trx, u, org.id, role, actor);
    return u;
  });
  return openSession(deps, member, org, role, context);
}
