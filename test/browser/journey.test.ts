// The whole journey of issue 21 in chromium, by the accessible names outside checks use: setup from the
// setup URL, sign in, create a key, copy its secret, exchange it over HTTP, see "last used" change,
// rotate, revoke, see the "Revoked" badge and the secret refused. axe and screenshots on every screen.
import type { Page } from 'playwright-core';
import { axeScan, describeInBrowser, launchBrowser, openPage, screenshot, startConsole, type ConsoleServer } from '../support/browser.js';
import { exchange, scrollsSideways, signIn, takeSecret } from '../support/console-page.js';

const OWNER = { email: 'olive@example.test', name: 'Olive Owner', password: 'a long owner password 1', org: 'Journey Org' };

let server: ConsoleServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
beforeAll(async () => {
  [server, browser] = await Promise.all([startConsole('browser_journey'), launchBrowser()]);
}, 60_000);
afterAll(async () => {
  await browser.close();
  await server.close();
});

describeInBrowser('console journey', () => {
  it('sets up the first owner, creates, copies, uses, rotates and revokes a key', async () => {
    const { page, errors, context } = await openPage(browser.browser, server.url);
    page.setDefaultTimeout(10_000);

    // First owner, from the setup URL; the token leaves the address bar at once.
    await page.goto(await server.setupUrl());
    await page.getByLabel('Organisation').waitFor();
    expect(page.url()).toBe(`${server.url}/console/setup`);
    expect(await axeScan(page)).toEqual([]);
    await page.getByLabel('Organisation').fill(OWNER.org);
    await page.getByLabel('Email').fill(OWNER.email);
    await page.getByLabel('Name').fill(OWNER.name);
    await page.getByLabel('Password').fill(OWNER.password);
    await screenshot(page, 'setup');
    await page.getByRole('button', { name: 'Create owner' }).click();
    await page.waitForURL('**/console/keys');
    await page.getByText('No API keys yet').waitFor();

    // Sign out, and in again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/console/sign-in');
    await screenshot(page, 'sign-in');
    await signIn(page, server.url, OWNER.email, OWNER.password);
    await page.waitForURL('**/console/keys');

    // Create a key.
    await page.getByRole('button', { name: 'Create API key' }).click();
    await page.waitForURL('**/console/keys/new');
    await page.getByLabel('Name').fill('billing worker');
    await page.getByLabel('Description').fill('Runs the nightly invoices');
    await page.getByLabel('Environment').selectOption('test');
    await page.getByLabel('Scopes').fill('billing:read billing:write');
    await page.getByLabel('Expires').selectOption('30');
    expect(await axeScan(page)).toEqual([]);
    await screenshot(page, 'create-key');
    await page.getByRole('button', { name: 'Create' }).click();

    // The secret, once: from the labelled element and from the clipboard.
    await page.getByRole('dialog').getByLabel('Secret').waitFor();
    expect(await axeScan(page)).toEqual([]);
    await screenshot(page, 'secret-dialog');
    // The guard: neither Escape (twice, which lets a browser force a modal shut) nor Done closes it unconfirmed.
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').getByRole('alert').waitFor();
    await page.getByRole('dialog').getByRole('button', { name: 'Done' }).click();
    expect(await page.getByRole('dialog').getByLabel('Secret').isVisible()).toBe(true);
    const first = await takeSecret(page);
    expect(first.clipboard).toBe(first.secret);
    expect(first.secret.length).toBeGreaterThan(20);
    await page.waitForURL(`**/console/keys/${first.id}`);
    expect(await page.content()).not.toContain(first.secret); // gone with the dialog
    expect(page.url()).not.toContain(first.secret);
    const stored = await page.evaluate('JSON.stringify([localStorage, sessionStorage, history.state])');
    expect(stored).not.toContain(first.secret);

    // Used by a program; "last used" changes once the usage is flushed.
    await expectDefinition(page, 'Last used', 'never');
    expect(await exchange(server.url, first)).toBe(200);
    await Promise.all([server.inst.deps.lastUsed.flush(), server.inst.deps.usage.flush()]);
    await page.reload();
    await expectDefinition(page, 'Last used', /now|second|minute/);
    await page.getByRole('img', { name: /1 issued/ }).waitFor();
    expect(await axeScan(page)).toEqual([]);
    await screenshot(page, 'key-detail');

    // The list: the key with its facts; back and forward between list and detail.
    await page.getByRole('link', { name: '← API keys' }).click();
    await page.waitForURL('**/console/keys');
    const row = page.getByRole('row').filter({ hasText: 'billing worker' });
    await row.getByText('Active', { exact: true }).waitFor();
    expect(await row.innerText()).toMatch(/billing:read[\s\S]*olive@example\.test[\s\S]*(now|second|minute)/);
    expect(await axeScan(page)).toEqual([]);
    await row.getByRole('link', { name: 'billing worker' }).click();
    await page.waitForURL(`**/console/keys/${first.id}`);
    await page.goBack();
    await page.waitForURL('**/console/keys');
    await page.goForward();
    await page.waitForURL(`**/console/keys/${first.id}`);

    // Rotate at once: a new secret dialog; the old secret stops working.
    await page.getByRole('button', { name: 'Rotate' }).click();
    await page.getByRole('dialog').getByLabel('Grace period').selectOption({ label: 'None: the old secret stops now' });
    await page.getByRole('dialog').getByRole('button', { name: 'Rotate' }).click();
    await page.getByRole('dialog').getByLabel('Secret').waitFor();
    const second = await takeSecret(page);
    expect(second.id).not.toBe(first.id);
    await page.waitForURL(`**/console/keys/${second.id}`);
    expect(await exchange(server.url, first)).toBe(401);
    expect(await exchange(server.url, second)).toBe(200);

    // Revoke: the confirmation names the key; then the badge, date and reason stay.
    await page.getByRole('button', { name: 'Revoke' }).click();
    const confirm = page.getByRole('dialog');
    expect(await confirm.innerText()).toMatch(/billing worker[\s\S]*permanent and immediate/);
    expect(await axeScan(page)).toEqual([]);
    await screenshot(page, 'revoke-confirmation');
    await confirm.getByLabel('Reason (optional)').fill('leaked in a log');
    await confirm.getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('Revoked', { exact: true }).waitFor();
    // Once the activity shows the revocation, the badge is still the only text that says "revoked".
    await page.getByRole('cell', { name: 'Revocation' }).waitFor();
    expect(await page.getByText('Revoked').count()).toBe(1);
    expect(await page.getByText(/reason: leaked in a log/).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Revoke' }).count()).toBe(0);
    expect(await exchange(server.url, second)).toBe(401);

    // The list keeps the revoked key, filtered in the URL (reload and back keep the filter).
    await page.getByRole('link', { name: '← API keys' }).click();
    await page.getByLabel('Status').selectOption('revoked');
    await page.waitForURL('**/console/keys?status=revoked');
    await page.reload();
    const revoked = page.getByRole('row').filter({ hasText: 'leaked in a log' });
    await revoked.getByText('Revoked', { exact: true }).waitFor();
    expect(await page.getByLabel('Status').inputValue()).toBe('revoked');
    await page.goBack();
    await page.waitForURL(/\/console\/keys$/);
    expect(await page.getByLabel('Status').inputValue()).toBe('');
    await page.getByRole('row').filter({ hasText: 'leaked in a log' }).waitFor();
    await screenshot(page, 'keys-list');
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);

  it('fits a 360 px wide screen: the page never scrolls sideways, the keys table scrolls in its box (and drops a #csrf_token hand-over from the address)', async () => {
    const { page, errors, context } = await openPage(browser.browser, server.url, { width: 360, height: 740 });
    // The single sign-on callback's hand-over (#csrf_token=…) is read once and leaves the address bar.
    await page.goto(`${server.url}/console/#csrf_token=not-a-session`);
    await page.waitForURL('**/console/sign-in');
    expect(page.url()).not.toContain('csrf_token');
    await signIn(page, server.url, OWNER.email, OWNER.password);
    await page.waitForURL('**/console/keys');
    await page.getByRole('row').filter({ hasText: 'billing worker' }).first().waitFor();
    expect(await scrollsSideways(page)).toBe(false);
    await page.goto(`${server.url}/console/keys/new`);
    await page.getByLabel('Name').waitFor();
    expect(await scrollsSideways(page)).toBe(false);
    expect(errors).toEqual([]);
    await context.close();
  });
});

async function expectDefinition(page: Page, term: string, text: string | RegExp): Promise<void> {
  const dd = page.locator(`dt:text-is("${term}") + dd`);
  await dd.waitFor();
  const got = await dd.innerText();
  if (typeof text === 'string') expect(got).toBe(text);
  else expect(got).toMatch(text);
}
