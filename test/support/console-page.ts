// Steps the console's browser tests share: reading the once-shown secret, exchanging it over HTTP,
// and the layout check at phone width.
import type { Page } from 'playwright-core';

export type NewKey = { id: string; orgId: string; secret: string };

/**
 * Reads the secret dialog: the secret from the element labelled "Secret", the same value back from the
 * clipboard after "Copy", and the org and key IDs from the SDK snippet; then confirms and closes it.
 */
export async function takeSecret(page: Page): Promise<NewKey & { clipboard: string }> {
  const dialog = page.getByRole('dialog');
  const secret = (await dialog.getByLabel('Secret').innerText()).trim();
  await dialog.getByRole('button', { name: 'Copy', exact: true }).click();
  await dialog.getByText('Copied').waitFor();
  const clipboard = String(await page.evaluate('navigator.clipboard.readText()'));
  const snippet = await dialog.locator('pre').textContent();
  const value = (name: string) => new RegExp(`${name}=(\\S+)`).exec(snippet ?? '')?.[1] ?? '';
  await dialog.getByRole('checkbox', { name: 'I have stored it safely' }).check();
  await dialog.getByRole('button', { name: 'Done' }).click();
  return { id: value('SCOPE_API_KEY'), orgId: value('SCOPE_ORG_ID'), secret, clipboard };
}

/** POST /v1/token over real HTTP, as a program holding the key would. */
export async function exchange(url: string, key: NewKey): Promise<number> {
  const res = await fetch(`${url}/v1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key_id: key.id, secret: key.secret, org_id: key.orgId }),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Does the page body scroll sideways? (Wide tables scroll inside their own box instead.) */
export async function scrollsSideways(page: Page): Promise<boolean> {
  return (await page.evaluate('document.documentElement.scrollWidth > document.documentElement.clientWidth')) === true;
}

export async function signIn(page: Page, url: string, email: string, password: string): Promise<void> {
  await page.goto(`${url}/console/sign-in`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
