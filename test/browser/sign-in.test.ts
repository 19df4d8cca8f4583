// Signing in to the console in chromium (issue 21): the labelled fields, the API's own error words,
// the landing screen for the role, a session that survives a reload, and no CSP or script errors.
import type { Locator } from 'playwright-core';
import request from 'supertest';
import { axeScan, describeInBrowser, launchBrowser, openPage, startConsole, type ConsoleServer } from '../support/browser.js';

const OWNER = { email: 'owner@example.test', name: 'Olive Owner', password: 'a long owner password 1', org_name: 'Browser Org' };

let server: ConsoleServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
beforeAll(async () => {
  server = await startConsole('browser_sign_in');
  const token = new URL(await server.setupUrl()).hash.replace('#token=', '');
  await request(server.inst.app)
    .post('/v1/setup')
    .send({ token, ...OWNER })
    .expect(200);
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser.close();
  await server.close();
});

describeInBrowser('console sign-in', () => {
  it('shows the API error for a wrong password, then signs in, lands on API keys and stays signed in across a reload', async () => {
    const { page, errors, context } = await openPage(browser.browser, server.url);
    await page.goto(`${server.url}/console/`);
    await page.waitForURL('**/console/sign-in');
    expect(await axeScan(page)).toEqual([]);

    await page.getByLabel('Email').fill(OWNER.email);
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expectText(page.getByRole('alert'), /email or password/i);

    await page.getByLabel('Password').fill(OWNER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/console/keys');
    await page.reload();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' }).waitFor();
    expect(page.url()).toBe(`${server.url}/console/keys`);
    expect(errors).toEqual([]);
    await context.close();
  });
});

async function expectText(locator: Locator, pattern: RegExp): Promise<void> {
  await locator.waitFor();
  expect(await locator.innerText()).toMatch(pattern);
}
