import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type RequestHandler, type Router } from 'express';

// dist/ when running the build, the repository root when tests run the TypeScript sources.
const up = fileURLToPath(new URL('../../../', import.meta.url));
/** Where `npm run build` puts the console (vite's outDir): dist/console, beside dist/src. */
export const CONSOLE_DIR = basename(up) === 'dist' ? join(up, 'console') : join(up, 'dist', 'console');

// The console is a page, so it gets a page's policy: its own scripts, styles and API only; no inline
// script, no eval, no framing, no plugins, forms and base URLs pinned to this origin.
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const YEAR_SECONDS = 365 * 24 * 3600;

const pageHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('Content-Security-Policy', CONSOLE_CSP);
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  next();
};

/**
 * `/console`: hashed assets cached for a year (their names change with their content), and every other
 * path answered with index.html (no-cache), so each screen has its own URL and back/forward work.
 * Returns undefined when the console was not built (an API-only build still serves the API).
 */
export function consoleRouter(dir = CONSOLE_DIR): Router | undefined {
  const index = `${dir}/index.html`;
  if (!existsSync(index)) return undefined;
  const router = express.Router();
  router.use(pageHeaders);
  router.use('/assets', express.static(`${dir}/assets`, { immutable: true, maxAge: YEAR_SECONDS * 1000, index: false }));
  router.use(express.static(dir, { index: false, maxAge: 0 }));
  router.get('/{*rest}', (req, res, next) => {
    // A missing asset or a non-page request is the API's JSON 404, not a page.
    if (req.path.startsWith('/assets/') || !req.accepts('html')) {
      next();
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  return router;
}
