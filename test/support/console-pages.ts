// Helpers for the console's page tests: an owner made through the API, signing in through the page,
// and a second session through the API (for what the test does "elsewhere").
import type { Locator, Page } from 'playwright-core';
import request from 'supertest';
import type { ConsoleServer } from './browser.js';

export type Person = { email: string; name: string; password: string };

/** The first owner, through POST /v1/setup with the setup URL's token. */
export async function setUpOwner(server: ConsoleServer, owner: Person & { org_name: string }): Promise<void> {
  const token = new URL(await server.setupUrl()).hash.replace('#token=', '');
  const res = await request(server.inst.app)
    .post('/v1/setup')
    .send({ token, ...owner });
  if (res.status !== 200) throw new Error(`setup failed: ${res.status} ${JSON.stringify(res.body)}`);
}

/** Signs in on the sign-in page and waits for the landing screen. */
export async function signInThroughPage(page: Page, url: string, who: Pick<Person, 'email' | 'password'>): Promise<void> {
  await page.goto(`${url}/console/sign-in`);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

export type ApiSession = { cookie: string; csrf: string; status: number };

/** A session opened through the API: its cookie and CSRF token, or the refusal's status. */
export async function apiSignIn(server: ConsoleServer, who: Pick<Person, 'email' | 'password'>): Promise<ApiSession> {
  const res = await request(server.inst.app).post('/v1/session').send({ email: who.email, password: who.password });
  const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0]?.split(';')[0] ?? '';
  return { cookie, csrf: (res.body as { csrf_token?: string }).csrf_token ?? '', status: res.status };
}

/** Headers of a request in that session that changes something. */
export const asSession = (s: ApiSession) => ({ Cookie: s.cookie, 'X-CSRF-Token': s.csrf });

/** The text of a locator once it is there. */
export async function textOf(locator: Locator): Promise<string> {
  await locator.waitFor();
  return locator.innerText();
}

// In-page code is given as text: the tests' TypeScript has no DOM types (Node is their world).

/** What makes the page body scroll sideways (the 360 px check): [] when nothing does. */
export async function overflowing(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(`(() => {
    const width = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth <= width) return [];
    const culprits = [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > width && !e.parentElement?.closest('.table-wrap'))
      .map((e) => e.tagName.toLowerCase() + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + 'px');
    return ['page ' + document.documentElement.scrollWidth + 'px wide in ' + width + 'px', ...culprits.slice(0, 10)];
  })()`);
}

/** What the page's clipboard holds (the context grants clipboard access). */
export async function clipboardText(page: Page): Promise<string> {
  return page.evaluate<string>('navigator.clipboard.readText()');
}

/** Is the keyboard focus on this element, or inside it? */
export async function holdsFocus(locator: Locator): Promise<boolean> {
  return locator.evaluate((e) => e.contains(e.ownerDocument.activeElement));
}
