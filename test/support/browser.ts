// The console in a real browser: Debian's chromium driven by playwright-core, against a real instance
// listening on loopback with its own, empty database (the first-owner journey starts from nothing).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type RequestListener } from 'node:http';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { issueSetupUrl } from '../../src/domain/people/setup.js';
import { createTestInstance, type TestInstance } from './app.js';
import { noteSkipped } from './backends.js';
import { isolatedDatabase } from './databases.js';
import { tracked } from './file-resources.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);

/** `describe` when chromium is installed; otherwise the suite is skipped, saying why. */
export function describeInBrowser(name: string, fn: () => void): void {
  if (haveChromium) return describe(name, fn);
  noteSkipped(name, `no chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
  describe.skip(name, fn);
}

export type ConsoleServer = { url: string; inst: TestInstance; setupUrl(): Promise<string>; close(): Promise<void> };

/**
 * An instance whose ISSUER is the address the browser uses, so cookies, the Origin check and the
 * setup URL all name the same origin. The socket listens first; the app is attached once built.
 */
export async function startConsole(name: string, env: Record<string, string> = {}): Promise<ConsoleServer> {
  let handler: RequestListener = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => handler(req, res)).listen(0, '127.0.0.1');
  await new Promise<void>((done) => server.once('listening', done));
  const address = server.address();
  if (!address || typeof address === 'string') throw new TypeError('no address');
  const url = `http://127.0.0.1:${address.port}`;
  const inst = await createTestInstance({ databaseUrl: await isolatedDatabase(name), env: { ISSUER: url, ...env } });
  handler = inst.app;
  const close = tracked(async () => {
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
    await inst.close();
  });
  return {
    url,
    inst,
    close,
    setupUrl: async () => {
      const setup = await issueSetupUrl(inst.deps);
      if (!setup) throw new Error('the store already has a user');
      return setup.url;
    },
  };
}

/** Chromium, closed when the test file ends if the file does not close it first. */
export async function launchBrowser(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  return { browser, close: tracked(() => browser.close()) };
}

export type ConsolePage = { context: BrowserContext; page: Page; errors: string[] };

/**
 * A fresh browser profile (its own cookies) with clipboard access for the Copy buttons. Every console
 * error and uncaught exception is collected: a CSP violation shows up there.
 */
export async function openPage(browser: Browser, origin: string, viewport = { width: 1280, height: 860 }): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'Europe/Paris' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  page.on('console', (m) => {
    // A 401 from /v1/me is how a page learns nobody is signed in; the browser logs the failed load.
    if (m.type() === 'error' && !/status of 401/.test(m.text())) errors.push(m.text());
  });
  return { context, page, errors };
}

const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS ? resolve('docs/screenshots') : resolve('test/.screenshots');

/** Saves the page as NAME.png: under test/.screenshots, or docs/screenshots (for the README) with UPDATE_SCREENSHOTS=1. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true, animations: 'disabled' });
  return path;
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
export type AxeViolation = { id: string; impact: string; help: string; nodes: number };

/**
 * axe-core's WCAG 2.x A/AA rules on the page as it is; the serious and critical violations. Evaluated
 * through the DevTools protocol, which the page's CSP does not govern (the page itself stays strict).
 */
export async function axeScan(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(o: unknown): Promise<{ violations: Array<Record<string, unknown>> }> } }).axe;
    const result = await axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: (v.nodes as unknown[]).length }));
  });
  return (violations as AxeViolation[]).filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
