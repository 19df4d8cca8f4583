import * as oidc from 'openid-client';
import { AppError } from '../../errors.js';
import { findMembership, findUserByEmail } from '../../storage/people.js';
import { insertSsoAttempt, spendSsoAttempt } from '../../storage/sso-attempts.js';
import type { RequestContext } from '../audit.js';
import type { Role } from '../model.js';
import { lockPendingInvitationForEmail } from '../../storage/invitations.js';
import { joinByInvitation, signInAsInvited } from './invitations.js';
import { membershipToOpen, openSession, type SessionDeps, type SignInResult } from './sessions.js';
import { findByToken, hashToken } from './single-use-tokens.js';
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
  const now = deps.clock.now();
  const attempt = { nonce, codeVerifier: verifier, orgId: orgId ?? null };
  await insertSsoAttempt(deps.db, hashToken(deps.config, state), attempt, new Date(now), new Date(now + ATTEMPT_MINUTES * 60_000));
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
  const now = new Date(deps.clock.now());
  const attempt = await findByToken(deps.config, state, (hash) => spendSsoAttempt(deps.db, hash, now), refused('unknown_state'));
  const config = await configurationFor(settings, allowHttp(deps));
  const tokens = await oidc
    .authorizationCodeGrant(config, input.callbackUrl, {
      pkceCodeVerifier: attempt.codeVerifier,
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
    attempt.orgId ?? undefined,
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
  const joined = user && (await membershipToOpen(deps.db, user.id, orgId));
  if (user && joined) return openSession(deps, user, joined.org, joined.role, context);
  // Invited: the provider has proven the address the invitation is bound to.
  const invited = await deps.db.transaction(async (trx) => {
    const now = new Date(deps.clock.now());
    const invitation = await lockPendingInvitationForEmail(trx, email, orgId, now);
    if (!invitation) return undefined;
    const u = user ?? (await createUserIn(deps, trx, { email, name, passwordHash: null }));
    if (await findMembership(trx, u.id, invitation.orgId)) return undefined;
    await joinByInvitation(deps, trx, { user: u, invitation, now, context }, { via: 'sso' });
    return { user: u, invitation };
  });
  if (invited) return signInAsInvited(deps, invited.user, invited.invitation, context);
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
