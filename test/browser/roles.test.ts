// Who sees what in the console (issue 21): a developer invited through the API sees only their own keys,
// a viewer cannot reach the keys page; paging and search over more than a page of keys; a change without
// the CSRF token is refused and said so; a session ended elsewhere sends the person to sign in.
import request from 'supertest';
import type { Page } from 'playwright-core';
import { axeScan, describeInBrowser, launchBrowser, openPage, screenshot, startConsole, type ConsoleServer } from '../support/browser.js';
import { signIn, takeSecret } from '../support/console-page.js';

const OWNER = { email: 'owen@example.test', name: 'Owen Owner', password: 'a long owner password 2', org_name: 'Roles Org' };
const DEV = { email: 'dana@example.test', name: 'Dana Developer', password: 'a long developer password' };
const VIEWER = { email: 'vic@example.test', name: 'Vic Viewer', password: 'a long viewer password 9' };

let server: ConsoleServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let owner: ReturnType<typeof request.agent>;
let ownerCsrf: string;
let devAcceptUrl: string;

async function invite(email: string, role: string): Promise<string> {
  const res = await owner.post('/v1/invitations').set('X-CSRF-Token', ownerCsrf).send({ email, role }).expect(201);
  return (res.body as { accept_url: string }).accept_url;
}

beforeAll(async () => {
  [server, browser] = await Promise.all([
    startConsole('browser_roles', {
      // Single sign-on configured (discovery happens only when someone starts it): the sign-in page offers it.
      OIDC_ISSUER: 'https://idp.example.test',
      OIDC_CLIENT_ID: 'scope-auth-console',
      OIDC_CLIENT_SECRET: 'not-a-real-client-secret',
    }),
    launchBrowser(),
  ]);
  owner = request.agent(server.inst.app);
  const token = new URL(await server.setupUrl()).hash.replace('#token=', '');
  ownerCsrf = (
    (
      await owner
        .post('/v1/setup')
        .send({ token, ...OWNER })
        .expect(200)
    ).body as { csrf_token: string }
  ).csrf_token;
  // More than one page of keys (a page is 25): 01–24 at once, then 25 and 26, the newest, in order.
  const createKey = (i: number) =>
    owner
      .post('/v1/keys')
      .set('X-CSRF-Token', ownerCsrf)
      .send({ name: `owner key ${String(i).padStart(2, '0')}`, scopes: ['orders:read'] })
      .expect(201);
  await Promise.all(Array.from({ length: 24 }, (_, i) => createKey(i + 1)));
  await createKey(25);
  await createKey(26);
  devAcceptUrl = await invite(DEV.email, 'developer');
  const viewerToken = new URL(await invite(VIEWER.email, 'viewer')).hash.replace('#token=', '');
  await request(server.inst.app)
    .post('/v1/invitations/accept')
    .send({ token: viewerToken, name: VIEWER.name, password: VIEWER.password })
    .expect(200);
}, 90_000);
afterAll(async () => {
  await browser.close();
  await server.close();
});

/** Waits until the table shows n loaded rows (not the placeholders kept while a page loads). */
async function rowsShown(page: Page, n: number): Promise<void> {
  // Polled from here: the page's CSP (no eval) refuses waitForFunction's string form.
  const rows = page.locator('table[aria-busy="false"] tbody tr');
  for (let tries = 0; tries < 100; tries++) {
    if ((await rows.count()) === n) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`the table never showed ${n} rows (it shows ${await rows.count()})`);
}

const keyRows = (page: Page) => page.getByRole('row').filter({ has: page.getByRole('link') });

describeInBrowser('console roles and sessions', () => {
  it('a developer accepts the invitation in the console and sees only their own keys', async () => {
    const { page, errors, context } = await openPage(browser.browser, server.url);
    page.setDefaultTimeout(10_000);
    await page.goto(devAcceptUrl);
    await page.getByLabel('Name').waitFor();
    expect(page.url()).toBe(`${server.url}/console/accept`);
    expect(await axeScan(page)).toEqual([]);
    await screenshot(page, 'accept-invitation');
    await page.getByLabel('Name').fill(DEV.name);
    await page.getByLabel('Password').fill(DEV.password);
    await page.getByRole('button', { name: 'Join' }).click();
    await page.waitForURL('**/console/keys');
    await page.getByText('No API keys yet').waitFor();
    expect(await page.getByLabel('Owner').count()).toBe(0); // only admins and owners filter by owner

    await page.getByRole('button', { name: 'Create API key' }).click();
    await page.getByLabel('Name').fill('dana key');
    await page.getByLabel('Scopes').fill('orders:read');
    await page.getByRole('button', { name: 'Create' }).click();
    await takeSecret(page);
    await page.getByRole('link', { name: '← API keys' }).click();
    await keyRows(page).first().waitFor();
    expect(await keyRows(page).allInnerTexts()).toEqual([expect.stringContaining('dana key')]);
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it('a viewer (offered single sign-on) has no keys page: not in the navigation, and its URL says so', async () => {
    const { page, errors, context } = await openPage(browser.browser, server.url);
    page.setDefaultTimeout(10_000);
    await page.goto(`${server.url}/console/sign-in`);
    expect(await page.getByRole('link', { name: 'Sign in with SSO' }).getAttribute('href')).toBe('/v1/sso/start');
    await signIn(page, server.url, VIEWER.email, VIEWER.password);
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link').first().waitFor();
    expect(await nav.getByRole('link', { name: 'API keys' }).count()).toBe(0);
    await page.goto(`${server.url}/console/keys`);
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').innerText()).toMatch(/do not have access/);
    expect(await page.getByRole('table').count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('pages through the keys by cursor and searches by name, keeping both in the URL', async () => {
    const { page, errors, context } = await openPage(browser.browser, server.url);
    page.setDefaultTimeout(10_000);
    const total = ((await owner.get('/v1/keys?limit=100').expect(200)).body as { data: unknown[] }).data.length;
    expect(total).toBeGreaterThan(25);
    await signIn(page, server.url, OWNER.email, OWNER.password);
    await page.waitForURL('**/console/keys');
    await rowsShown(page, 25);
    const first = await keyRows(page).allInnerTexts();
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.waitForURL(/cursor=/);
    await rowsShown(page, total - 25);
    const second = await keyRows(page).allInnerTexts();
    expect(second.some((t) => first.includes(t))).toBe(false);
    await page.reload();
    await rowsShown(page, total - 25);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await rowsShown(page, 25);
    expect(page.url()).toBe(`${server.url}/console/keys`);
    await page.goBack();
    await page.waitForURL(/cursor=/);

    await page.getByLabel('Search by name').fill('KEY 07');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL('**/console/keys?q=KEY+07');
    await rowsShown(page, 1);
    expect(await keyRows(page).allInnerTexts()).toEqual([expect.stringContaining('owner key 07')]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows the refusal of a change sent without the CSRF token, and keeps the key', async () => {
    const { page, errors, context } = await openPage(browser.browser, server.url);
    page.setDefaultTimeout(10_000);
    await signIn(page, server.url, OWNER.email, OWNER.password);
    await page.waitForURL('**/console/keys');
    await page.getByRole('link', { name: 'owner key 26' }).click();
    // A request that lost its token on the way, as a forged one would arrive.
    await page.route('**/v1/keys/*/revoke', async (route) => {
      const headers = { ...route.request().headers() };
      delete headers['x-csrf-token'];
      await route.continue({ headers });
    });
    await page.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog').getByRole('alert').waitFor();
    expect(await page.getByRole('dialog').getByRole('alert').innerText()).toMatch(/X-CSRF-Token is missing/);
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    await page.getByText('Active', { exact: true }).waitFor();
    expect(errors).toEqual([expect.stringMatching(/status of 403/)]);
    await context.close();
  });

  it("offers the org's declared scopes as checkboxes with their descriptions once it has resources", async () => {
    await owner
      .post('/v1/resources')
      .set('X-CSRF-Token', ownerCsrf)
      .send({
        name: 'Orders API',
        audience: 'https://orders.example',
        scopes: [{ name: 'orders:read', description: 'Read orders and their lines' }],
      })
      .expect(201);
    const { page, errors, context } = await openPage(browser.browser, server.url);
    page.setDefaultTimeout(10_000);
    await signIn(page, server.url, OWNER.email, OWNER.password);
    await page.waitForURL('**/console/keys');
    await page.getByRole('button', { name: 'Create API key' }).click();
    const scope = page.getByRole('checkbox', { name: /orders:read Read orders and their lines/ });
    await scope.waitFor();
    expect(await page.getByLabel('Scopes').count()).toBe(0); // no free text once the org declares its APIs
    await page.getByLabel('Name').fill('orders reader');
    await scope.check();
    expect(await page.getByRole('checkbox', { name: 'Audience https://orders.example' }).isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Create' }).click();
    const created = await takeSecret(page);
    await page.waitForURL(`**/console/keys/${created.id}`);
    const facts = await page.locator('dl.facts').innerText();
    expect(facts).toMatch(/Scopes\s+orders:read/);
    expect(facts).toMatch(/Audiences\s+https:\/\/orders\.example/);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('sends the person to sign in, saying why, when the session ends elsewhere', async () => {
    const { page, errors, context } = await openPage(browser.browser, server.url);
    page.setDefaultTimeout(10_000);
    await signIn(page, server.url, OWNER.email, OWNER.password);
    await page.waitForURL('**/console/keys');
    await keyRows(page).first().waitFor();
    // Sign out everywhere from another client: every session of the person ends, the page's too.
    await owner.delete('/v1/sessions').set('X-CSRF-Token', ownerCsrf).expect(204);
    await page.getByRole('link', { name: 'owner key 25' }).click();
    await page.waitForURL('**/console/sign-in');
    await page.getByText('Your session has ended').waitFor();
    await signIn(page, server.url, OWNER.email, OWNER.password);
    await page.waitForURL('**/console/keys');
    expect(errors).toEqual([]);
    await context.close();
  });
});
