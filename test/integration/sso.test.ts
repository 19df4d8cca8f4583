import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import request from 'supertest';
import { createTestInstance, listen, LogCapture, type TestInstance } from '../support/app.js';
const logs = new LogCapture();
import { createOrg } from '../support/fixtures.js';
import { asPerson, createPerson, signIn } from '../support/people.js';
import { invite } from '../../src/domain/people/invitations.js';

/**
 * Single sign-on against a real OpenID provider (node-oidc-provider) on a local port: the test plays
 * the browser, following redirects and keeping each site's cookies apart. The provider's login
 * screen is replaced by an interaction handler that signs in the account the test chose.
 */
type Account = { sub: string; email: string; email_verified: boolean; name: string };

let provider: Provider;
let providerServer: http.Server;
let providerUrl: string;
let inst: TestInstance;
let srv: Awaited<ReturnType<typeof listen>>;
let nextAccount: Account;
const CLIENT = { client_id: 'scope-auth', client_secret: 'a-client-secret-for-tests-only-0123456789' };

beforeAll(async () => {
  providerServer = http.createServer();
  await new Promise<void>((r) => providerServer.listen(0, '127.0.0.1', r));
  providerUrl = `http://127.0.0.1:${(providerServer.address() as AddressInfo).port}`;
  inst = await createTestInstance({
    logs,
    env: { OIDC_ISSUER: providerUrl, OIDC_CLIENT_ID: CLIENT.client_id, OIDC_CLIENT_SECRET: CLIENT.client_secret },
  });
  srv = await listen(inst.app);
  provider = new Provider(providerUrl, {
    clients: [
      {
        ...CLIENT,
        redirect_uris: [`${inst.config.issuer}/v1/sso/callback`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 600, Grant: 600 },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx, sub) => (sub === nextAccount.sub ? { accountId: sub, claims: () => ({ ...nextAccount }) } : undefined),
  });
  const callback = provider.callback();
  providerServer.on('request', (req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      void (async () => {
        await provider.interactionDetails(req, res); // throws unless this is a live interaction
        const grant = new provider.Grant({ accountId: nextAccount.sub, clientId: CLIENT.client_id });
        grant.addOIDCScope('openid email profile');
        const grantId = await grant.save();
        await provider.interactionFinished(
          req,
          res,
          { login: { accountId: nextAccount.sub }, consent: { grantId } },
          { mergeWithLastSubmission: false },
        );
      })().catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
      return;
    }
    void callback(req, res);
  });
});
afterAll(async () => {
  await srv.close();
  await inst.close();
  providerServer.closeAllConnections();
  await new Promise<void>((r) => providerServer.close(() => r()));
});

/** One site's cookies, as a browser keeps them. */
class Jar {
  private cookies = new Map<string, string>();
  store(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const value = pair!.slice(eq + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(pair!.slice(0, eq));
      else this.cookies.set(pair!.slice(0, eq), value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  get(name: string): string | undefined {
    return this.cookies.get(name);
  }
}

/** Follows the browser's path: our start → provider → interaction → provider → our callback. */
async function signInWithSso(account: Account, start = '/v1/sso/start', ours = new Jar()): Promise<{ res: Response; ours: Jar }> {
  nextAccount = account;
  const theirs = new Jar();
  // Requests to our issuer go to the test server (the issuer's host is not resolvable here).
  const toLocal = (url: string) => url.replace(inst.config.issuer, srv.url);
  let url = `${srv.url}${start}`;
  for (let hop = 0; hop < 10; hop++) {
    const mine = url.startsWith(srv.url);
    const jar = mine ? ours : theirs;
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.store(res);
    const location = res.headers.get('location');
    if (res.status < 300 || res.status >= 400 || !location) return { res, ours };
    if (mine && location.startsWith(`${inst.config.issuer}/console/`)) return { res, ours };
    url = toLocal(new URL(location, url).href);
  }
  throw new Error('too many redirects');
}

const SESSION = '__Host-scope-auth-session';

describe('single sign-on (OpenID Connect, real provider)', () => {
  it('signs in a member whose verified email the provider vouches for, with a session and the CSRF token in the fragment', async () => {
    const org = await createOrg(inst.deps, 'SSO Org');
    const member = await createPerson(inst.deps, org, 'developer', 'Dana');
    const { res, ours } = await signInWithSso({ sub: 'dana-1', email: member.email, email_verified: true, name: 'Dana' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toMatch(/^https:\/\/auth\.scope-auth\.test\/console\/#csrf_token=[A-Za-z0-9_-]{43}$/);
    const me = await request(inst.app)
      .get('/v1/me')
      .set('Cookie', `${SESSION}=${ours.get(SESSION)!}`)
      .expect(200);
    expect(me.body).toMatchObject({ type: 'user', user: { id: member.id }, org: { id: org.id }, role: 'developer' });
    expect(ours.get('scope-auth-sso-state')).toBeUndefined();
  });

  it('never logs the authorization code, the tokens or the state', async () => {
    const member = await createPerson(inst.deps, await createOrg(inst.deps), 'viewer');
    const { res, ours } = await signInWithSso({ sub: 'quiet-1', email: member.email, email_verified: true, name: 'Q' });
    expect(res.status).toBe(302);
    expect(logs.text()).not.toContain(ours.get(SESSION)!);
    expect(logs.text()).not.toMatch(/code=[A-Za-z0-9_-]{20,}/);
    expect(logs.text()).not.toContain(CLIENT.client_secret);
  });

  it('accepts a pending invitation for the verified address, with its role', async () => {
    const org = await createOrg(inst.deps, 'Inviting');
    const email = `invited-${Date.now()}@elsewhere.example`;
    await invite(inst.deps, { orgId: org.id, actor: { type: 'cli', id: null }, scopes: [] }, email, 'admin');
    const { res, ours } = await signInWithSso({ sub: 'invited-1', email, email_verified: true, name: 'Ivy' });
    expect(res.status).toBe(302);
    const me = await request(inst.app)
      .get('/v1/me')
      .set('Cookie', `${SESSION}=${ours.get(SESSION)!}`)
      .expect(200);
    expect(me.body).toMatchObject({ org: { id: org.id }, role: 'admin', user: { email, name: 'Ivy' } });
    expect(await inst.deps.db('invitations').where({ org_id: org.id }).whereNotNull('accepted_at')).toHaveLength(1);
  });

  it('refuses an email the provider has not verified, and audits why', async () => {
    const member = await createPerson(inst.deps, await createOrg(inst.deps), 'viewer');
    const { res } = await signInWithSso({ sub: 'unverified-1', email: member.email, email_verified: false, name: 'U' });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'invalid_credentials', error_description: 'single sign-on failed' });
    await inst.deps.audit.flush();
    const failed = await inst.deps
      .db('audit_events')
      .where({ action: 'session.failed' })
      .whereRaw("detail->>'method' = 'sso'")
      .select('detail');
    expect(failed.map((r: { detail: { reason: string } }) => r.detail.reason)).toContain('email_not_verified');
  });

  it('lets an address of an allowed domain join as a viewer, and refuses a stranger', async () => {
    const org = await createOrg(inst.deps, 'Domain Org');
    const domain = `d${Date.now()}.example`;
    // The owner allows the domain (PATCH /v1/org); single sign-on reads it.
    const owner = await signIn(inst.app, await createPerson(inst.deps, org, 'owner'));
    await request(inst.app)
      .patch('/v1/org')
      .set(asPerson(owner))
      .send({ sso_domains: [domain] })
      .expect(200);
    const { res, ours } = await signInWithSso({ sub: 'newbie-1', email: `newbie@${domain}`, email_verified: true, name: 'Newbie' });
    expect(res.status).toBe(302);
    const me = await request(inst.app)
      .get('/v1/me')
      .set('Cookie', `${SESSION}=${ours.get(SESSION)!}`)
      .expect(200);
    expect(me.body).toMatchObject({ org: { id: org.id }, role: 'viewer', user: { email: `newbie@${domain}`, name: 'Newbie' } });
    const stranger = await signInWithSso({ sub: 'stranger-1', email: 'stranger@nowhere.example', email_verified: true, name: 'S' });
    expect(stranger.res.status).toBe(403);
  });

  it('refuses a callback whose state is not the one this browser started (login CSRF), and a replayed one', async () => {
    const member = await createPerson(inst.deps, await createOrg(inst.deps), 'viewer');
    const { res } = await signInWithSso(
      { sub: 'csrf-1', email: member.email, email_verified: true, name: 'C' },
      '/v1/sso/start',
      new Jar(),
    );
    expect(res.status).toBe(302);
    // An attacker's callback URL, opened in a browser that never started the flow.
    const started = await fetch(`${srv.url}/v1/sso/start`, { redirect: 'manual' });
    const state = new URL(started.headers.get('location')!).searchParams.get('state')!;
    const forged = await fetch(`${srv.url}/v1/sso/callback?code=abc&state=${state}`, { redirect: 'manual' });
    expect(forged.status).toBe(401);
    // The right browser cookie, but an attempt already spent or never made.
    const replay = await fetch(`${srv.url}/v1/sso/callback?code=abc&state=nope`, {
      redirect: 'manual',
      headers: { cookie: 'scope-auth-sso-state=nope' },
    });
    expect(replay.status).toBe(401);
  });
});

describe('rate limit', () => {
  it('limits starts and callbacks per client address (429 rate_limited with Retry-After), not other addresses', async () => {
    const limited = await createTestInstance({
      env: {
        OIDC_ISSUER: providerUrl,
        OIDC_CLIENT_ID: CLIENT.client_id,
        OIDC_CLIENT_SECRET: CLIENT.client_secret,
        RATE_LIMIT_SSO_PER_IP: '3',
        TRUST_PROXY: 'true',
      },
    });
    try {
      const from = (ip: string) => ({ 'X-Forwarded-For': ip });
      await request(limited.app).get('/v1/sso/start').set(from('203.0.113.30')).expect(302);
      await request(limited.app).get('/v1/sso/start').set(from('203.0.113.30')).expect(302);
      await request(limited.app).get('/v1/sso/callback?code=x&state=y').set(from('203.0.113.30')).expect(401);
      const refused = await request(limited.app).get('/v1/sso/start').set(from('203.0.113.30')).expect(429);
      expect(refused.body).toEqual({ error: 'rate_limited', error_description: 'too many requests, retry later' });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      await request(limited.app).get('/v1/sso/callback?code=x&state=y').set(from('203.0.113.30')).expect(429);
      await request(limited.app).get('/v1/sso/start').set(from('198.51.100.30')).expect(302);
    } finally {
      await limited.close();
    }
  });
});
