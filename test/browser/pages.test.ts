// The console's people-and-settings screens in chromium (issue 21): members and invitations, resources,
// the audit log and its filters, signing keys, the account page. One instance and one browser for the
// file; the tests run in order on one signed-in owner, each screen scanned by axe and photographed.
import type { Page } from 'playwright-core';
import request from 'supertest';
import {
  axeScan,
  describeInBrowser,
  launchBrowser,
  openPage,
  screenshot,
  startConsole,
  type ConsolePage,
  type ConsoleServer,
} from '../support/browser.js';
import {
  apiSignIn,
  asSession,
  clipboardText,
  holdsFocus,
  overflowing,
  setUpOwner,
  signInThroughPage,
  textOf,
} from '../support/console-pages.js';

const OWNER = { email: 'olive@example.test', name: 'Olive Owner', password: 'a long owner password 1', org_name: 'Pages Org' };
const DEV = { email: 'dev@example.test', name: 'Dee Developer', password: 'a long developer password' };
const NEW_PASSWORD = 'a fresh owner password 2';

let server: ConsoleServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let owner: ConsolePage;
let page: Page;
/** The key the resources test makes and revokes, for the audit log's key filter. */
let keyId = 'none';
beforeAll(async () => {
  server = await startConsole('browser_pages');
  await setUpOwner(server, OWNER);
  browser = await launchBrowser();
  owner = await openPage(browser.browser, server.url);
  page = owner.page;
  // A missing element fails in seconds, not at jest's timeout.
  page.setDefaultTimeout(5_000);
  await signInThroughPage(page, server.url, OWNER);
}, 60_000);
afterAll(async () => {
  await browser.close();
  await server.close();
});

/** Goes to a screen by its navigation link (client-side, as a person would). */
async function open(name: string, heading = name): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

const row = (text: string) => page.getByRole('row').filter({ hasText: text });

/** The audit log's actions, once the list for the current URL has loaded. */
async function shownActions(): Promise<string[]> {
  await page.getByRole('region', { name: 'Event list' }).locator('table[aria-busy="false"]').waitFor();
  return page.locator('tbody tr td:nth-child(2)').allInnerTexts();
}

describeInBrowser('console pages', () => {
  it('members: invites a developer and shows the accept URL once, lists them once accepted, changes their role and removes them', async () => {
    await open('Members');
    await page.getByLabel('Email').fill(DEV.email);
    await page.getByLabel('Role', { exact: true }).selectOption('developer');
    await page.getByRole('button', { name: 'Invite' }).click();

    const dialog = page.getByRole('dialog', { name: 'Invitation created' });
    const acceptUrl = await textOf(dialog.getByLabel('Invitation link'));
    expect(acceptUrl).toMatch(new RegExp(`^${server.url}/console/accept#token=`));
    expect(await dialog.innerText()).toMatch(/will not be shown again/);
    await screenshot(page, 'invite-dialog');
    await dialog.getByRole('button', { name: 'Copy' }).click();
    // Scanned while "Copied" shows: the button's name stays the text it shows.
    await dialog.getByText('Copied').waitFor();
    expect(await axeScan(page)).toEqual([]);
    expect(await clipboardText(page)).toBe(acceptUrl);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await row(DEV.email).filter({ hasText: 'developer' }).first().waitFor();
    expect(await page.getByRole('region', { name: 'Pending invitations' }).innerText()).toContain(DEV.email);

    // The developer accepts elsewhere; the owner's list shows them and no longer the invitation.
    const token = new URLSearchParams(new URL(acceptUrl).hash.slice(1)).get('token');
    await request(server.inst.app).post('/v1/invitations/accept').send({ token, name: DEV.name, password: DEV.password }).expect(200);
    await page.reload();
    await row(DEV.name).waitFor();
    expect(await textOf(page.getByRole('region', { name: 'Pending invitations' }))).toContain('No pending invitations');
    expect(await axeScan(page)).toEqual([]);
    await screenshot(page, 'members');

    await page.setViewportSize({ width: 360, height: 800 });
    const tooWide = await overflowing(page);
    await page.setViewportSize({ width: 1280, height: 860 });
    expect(tooWide).toEqual([]);

    // What the API refuses is shown in its own words: the last owner cannot be demoted.
    await page.getByLabel(`Role of ${OWNER.name}`, { exact: true }).selectOption('admin');
    await page.getByRole('button', { name: `Save role of ${OWNER.name}` }).click();
    expect(await textOf(row(OWNER.email).getByRole('alert'))).toMatch(/last owner/i);
    expect(await page.getByLabel(`Role of ${OWNER.name}`, { exact: true }).inputValue()).toBe('owner');

    await page.getByLabel(`Role of ${DEV.name}`, { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: `Save role of ${DEV.name}` }).click();
    expect(await textOf(page.getByRole('status').filter({ hasText: 'is now viewer' }))).toContain(`${DEV.name} is now viewer`);
    await row(DEV.name).getByLabel(`Role of ${DEV.name}`, { exact: true }).waitFor();
    expect(await page.getByLabel(`Role of ${DEV.name}`, { exact: true }).inputValue()).toBe('viewer');

    await page.getByRole('button', { name: `Remove ${DEV.name}` }).click();
    const confirm = page.getByRole('dialog', { name: `Remove ${DEV.name}?` });
    expect(await confirm.innerText()).toMatch(/every API key they own is revoked/);
    await confirm.getByRole('button', { name: 'Remove member' }).click();
    await page.getByRole('status').filter({ hasText: 'was removed' }).waitFor();
    await row(DEV.name).waitFor({ state: 'detached' });
    // The browser logs the refused demotion itself; nothing else may be logged.
    expect(owner.errors.filter((e) => !/status of 409/.test(e))).toEqual([]);
    owner.errors.length = 0;
  });

  it('resources: creates, edits and deletes a resource; deleting one an active key uses shows the API’s refusal', async () => {
    await open('Resources');
    await page.getByText('No resources yet').waitFor();
    // Keyboard: Enter opens the form with focus inside, Escape closes it and focus goes back.
    const opener = page.getByRole('button', { name: 'New resource' });
    await opener.focus();
    await page.keyboard.press('Enter');
    const form = page.getByRole('dialog', { name: 'New resource' });
    await form.waitFor();
    expect(await holdsFocus(form)).toBe(true);
    await page.keyboard.press('Escape');
    await form.waitFor({ state: 'hidden' });
    expect(await holdsFocus(opener)).toBe(true);
    await page.keyboard.press('Enter');
    await form.getByLabel('Name').fill('Billing API');
    await form.getByLabel('Audience').fill('https://billing.example');
    await form.getByLabel('Scope 1', { exact: true }).fill('billing:read');
    await form.getByLabel('What scope 1 allows').fill('read invoices');
    await form.getByRole('button', { name: 'Create' }).click();
    const card = page.getByRole('article', { name: 'Billing API' });
    expect(await textOf(card)).toMatch(/https:\/\/billing\.example[\s\S]*billing:read[\s\S]*read invoices/);

    await page.getByRole('button', { name: 'Edit Billing API' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit Billing API' });
    await edit.getByLabel('Name').fill('Billing API v2');
    await edit.getByRole('button', { name: 'Add scope' }).click();
    await edit.getByLabel('Scope 2', { exact: true }).fill('billing:write');
    await edit.getByLabel('What scope 2 allows').fill('send invoices');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    const edited = page.getByRole('article', { name: 'Billing API v2' });
    expect(await textOf(edited)).toMatch(/billing:write[\s\S]*send invoices/);
    expect(await axeScan(page)).toEqual([]);
    await screenshot(page, 'resources');

    // A key naming its audience makes the resource "in use": the service's 409 is shown in the dialog.
    const api = await apiSignIn(server, OWNER);
    const key = await request(server.inst.app)
      .post('/v1/keys')
      .set(asSession(api))
      .send({ name: 'billing client', scopes: ['billing:read'], audiences: ['https://billing.example'] })
      .expect(201);
    keyId = key.body.id as string;
    await page.getByRole('button', { name: 'Delete Billing API v2' }).click();
    const del = page.getByRole('dialog', { name: 'Delete Billing API v2?' });
    await del.getByRole('button', { name: 'Delete resource' }).click();
    expect(await textOf(del.getByRole('alert'))).toMatch(/in use|active key/i);
    await request(server.inst.app).post(`/v1/keys/${keyId}/revoke`).set(asSession(api)).send({}).expect(200);
    await del.getByRole('button', { name: 'Delete resource' }).click();
    await page.getByRole('status').filter({ hasText: 'was deleted' }).waitFor();
    await page.getByText('No resources yet').waitFor();
    // The browser logs the refused DELETE itself; nothing else may be logged.
    expect(owner.errors.filter((e) => !/status of 409/.test(e))).toEqual([]);
    owner.errors.length = 0;
  });

  it('audit log: lists what was just done, newest first; the filters narrow it and live in the URL (back and forward)', async () => {
    await open('Audit log');
    const actions = await shownActions();
    for (const a of [
      'resource.deleted',
      'resource.created',
      'member.removed',
      'member.role_changed',
      'invitation.accepted',
      'invitation.created',
    ])
      expect(actions).toContain(a);
    expect(actions.indexOf('resource.deleted')).toBeLessThan(actions.indexOf('member.removed'));
    expect(await row('member.removed').innerText()).toContain(OWNER.name);
    expect(await axeScan(page)).toEqual([]);
    await screenshot(page, 'audit');

    await page.getByLabel('Action').fill('member.removed');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/action=member\.removed/);
    expect(new Set(await shownActions())).toEqual(new Set(['member.removed']));

    // By actor: the person who accepted the invitation did that and signed in, nothing else.
    const api = await apiSignIn(server, OWNER);
    const accepted = await request(server.inst.app).get('/v1/audit-events?action=invitation.accepted').set(asSession(api)).expect(200);
    const devId = (accepted.body as { data: Array<{ actor: { id: string } }> }).data[0]?.actor.id ?? 'none';
    await page.getByLabel('Action').fill('');
    await page.getByLabel('Actor').fill(devId);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(new RegExp(`actor=${devId}`));
    const byDeveloper = await shownActions();
    expect(byDeveloper).toContain('invitation.accepted');
    expect(byDeveloper).not.toContain('resource.created');

    // By key: what was done to the key the resources test made and revoked.
    await page.getByLabel('Actor').fill('');
    await page.getByLabel('Key', { exact: true }).fill(keyId);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(new RegExp(`key_id=${keyId}`));
    expect(await shownActions()).toEqual(['key.revoked', 'key.created']);

    // A time range that ends before anything happened: nothing matches.
    await page.getByLabel('Key', { exact: true }).fill('');
    await page.getByLabel('To', { exact: true }).fill('2020-01-01T00:00');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/to=2019|to=2020/);
    await page.getByText('No events match these filters.').waitFor();

    await page.goBack();
    await page.waitForURL(/key_id=/);
    await page.goBack();
    await page.waitForURL(/actor=/);
    await page.goBack();
    await page.waitForURL(/action=member\.removed/);
    // The form shows what the URL says.
    await page.waitForFunction(`document.querySelector('input[list="audit-actions"]')?.value === 'member.removed'`);
    await page.goBack();
    await page.waitForURL(/\/console\/audit$/);
    expect(await shownActions()).toContain('resource.deleted');
    await page.goForward();
    await page.waitForURL(/action=member\.removed/);
    expect(new Set(await shownActions())).toEqual(new Set(['member.removed']));
    expect(owner.errors).toEqual([]);
  });

  it('audit log: older events come a page (50) at a time through the cursor', async () => {
    // 40 more events on top of the ~20 so far: more than one page, fewer than two.
    const api = await apiSignIn(server, OWNER);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        request(server.inst.app)
          .post('/v1/resources')
          .set(asSession(api))
          .send({ name: `Paging ${i}`, audience: `https://paging-${i}.example` })
          .expect(201),
      ),
    );
    await page.goto(`${server.url}/console/audit`);
    expect(await shownActions()).toHaveLength(50);
    await page.getByRole('button', { name: 'Older events' }).click();
    await row('org.created').waitFor();
    expect(await page.locator('tbody tr').count()).toBeGreaterThan(50);
    expect(await page.getByRole('button', { name: 'Older events' }).count()).toBe(0);
    expect(owner.errors).toEqual([]);
  });

  it('signing keys: "Rotate" asks first, then a new key is listed', async () => {
    await open('Signing keys');
    await page.locator('tbody tr:not(.row-placeholder)').first().waitFor();
    const before = await page.locator('tbody tr').count();
    await page.getByRole('button', { name: 'Rotate', exact: true }).click();
    const confirm = page.getByRole('dialog', { name: 'Rotate the signing key?' });
    await confirm.getByRole('button', { name: 'Rotate signing key' }).click();
    const notice = await textOf(page.getByRole('status').filter({ hasText: 'New signing key' }));
    const kid = /New signing key (\S+) published/.exec(notice)?.[1] ?? 'none';
    await row(kid).waitFor();
    expect(await page.locator('tbody tr').count()).toBe(before + 1);
    expect(await axeScan(page)).toEqual([]);
    await screenshot(page, 'signing-keys');
    expect(owner.errors).toEqual([]);
  });

  it('read-only views: a developer sees members without invite or role controls, and resources without edit controls', async () => {
    const api = await apiSignIn(server, OWNER);
    await request(server.inst.app)
      .post('/v1/resources')
      .set(asSession(api))
      .send({ name: 'Orders API', audience: 'https://orders.example', scopes: [{ name: 'orders:read', description: 'read orders' }] })
      .expect(201);
    const invited = await request(server.inst.app)
      .post('/v1/invitations')
      .set(asSession(api))
      .send({ email: 'reader@example.test', role: 'developer' })
      .expect(201);
    const token = new URLSearchParams(new URL(invited.body.accept_url as string).hash.slice(1)).get('token');
    const reader = { email: 'reader@example.test', name: 'Ray Reader', password: 'a long reader password' };
    await request(server.inst.app).post('/v1/invitations/accept').send({ token, name: reader.name, password: reader.password }).expect(200);

    const other = await openPage(browser.browser, server.url);
    other.page.setDefaultTimeout(5_000);
    await signInThroughPage(other.page, server.url, reader);
    await other.page.goto(`${server.url}/console/members`);
    await other.page.getByRole('row').filter({ hasText: OWNER.name }).waitFor();
    expect(await other.page.getByRole('button', { name: 'Invite' }).count()).toBe(0);
    expect(await other.page.getByRole('combobox').count()).toBe(0);
    expect(await other.page.getByRole('button', { name: /^(Remove|Cancel)/ }).count()).toBe(0);

    await other.page.goto(`${server.url}/console/resources`);
    expect(await textOf(other.page.getByRole('article', { name: 'Orders API' }))).toContain('read orders');
    expect(await other.page.getByRole('button', { name: /New resource|Edit|Delete/ }).count()).toBe(0);
    expect(other.errors).toEqual([]);
    await other.context.close();
  });

  it('account: profile and this session; a password change refuses the old one; "Sign out everywhere" ends every session', async () => {
    const elsewhere = await apiSignIn(server, OWNER);
    await open('Account');
    expect(await textOf(page.getByRole('region', { name: 'Profile' }))).toMatch(
      new RegExp(`${OWNER.email}[\\s\\S]*owner[\\s\\S]*${OWNER.org_name}`),
    );
    await row('This session').waitFor();
    expect(await axeScan(page)).toEqual([]);
    await screenshot(page, 'account');

    await page.getByLabel('Current password').fill('not my password at all');
    await page.getByLabel('New password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('region', { name: 'Change password' }).getByRole('alert').waitFor();
    await page.getByLabel('Current password').fill(OWNER.password);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('status').filter({ hasText: 'Password changed' }).waitFor();
    // The other session ended with the change; this one carries on (new cookie, new CSRF token).
    await request(server.inst.app).get('/v1/me').set('Cookie', elsewhere.cookie).expect(401);
    expect((await apiSignIn(server, OWNER)).status).toBe(401);
    await page.reload();
    await row('This session').waitFor();

    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await page.getByRole('dialog', { name: 'Sign out everywhere?' }).getByRole('button', { name: 'Sign out all sessions' }).click();
    await page.waitForURL('**/console/sign-in');
    await page.goto(`${server.url}/console/account`);
    await page.waitForURL('**/console/sign-in');

    await page.getByLabel('Email').fill(OWNER.email);
    await page.getByLabel('Password').fill(OWNER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    await page.getByLabel('Password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    expect(owner.errors).toEqual([]);
  });

  it('members: an owner transfers ownership after a confirmation, and the console follows their new role at once', async () => {
    const session = await apiSignIn(server, { email: OWNER.email, password: NEW_PASSWORD });
    const invited = await request(server.inst.app)
      .post('/v1/invitations')
      .set(asSession(session))
      .send({ email: 'ada@example.test', role: 'admin' })
      .expect(201);
    const token = new URL(invited.body.accept_url as string).hash.replace('#token=', '');
    await request(server.inst.app)
      .post('/v1/invitations/accept')
      .send({ token, name: 'Ada Admin', password: 'a long admin password 1' })
      .expect(200);

    await open('Members');
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Signing keys' }).waitFor();
    await page.getByRole('button', { name: 'Transfer ownership to Ada Admin' }).click();
    const dialog = page.getByRole('dialog', { name: 'Transfer ownership to Ada Admin?' });
    expect(await dialog.innerText()).toMatch(/you become an admin/);
    expect(await axeScan(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Transfer ownership' }).click();
    await page.getByRole('status').filter({ hasText: 'Ada Admin is now an owner; you are an admin.' }).waitFor();
    // Signing keys are for owners: the link goes with the role, and the rows say who owns the org now.
    await nav.getByRole('link', { name: 'Signing keys' }).waitFor({ state: 'detached' });
    await row('Ada Admin').filter({ hasText: 'owner' }).waitFor();
    expect(owner.errors).toEqual([]);
  });
});
