// The built package loads from both module systems: ESM, and CommonJS through require(esm)
// (Node >= 20.19), since jose 6 is ESM-only.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ensureBuilt } from '../../test/support/build.js';

const run = promisify(execFile);
const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
let dir: string;

beforeAll(async () => {
  await ensureBuilt('sdk');
  dir = await mkdtemp(join(tmpdir(), 'scope-auth-sdk-'));
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

// From a directory outside the repository, finding the package through NODE_PATH as an installed one.
const env = { ...process.env, NODE_PATH: join(root, 'node_modules'), NODE_OPTIONS: '' };
const EXPORTS =
  'DEFAULT_ALGORITHMS,ScopeAuthError,TokenClient,canonicalResource,createVerifier,fastifyRequireAuth,isScopeAuthError,mcpTokenVerifier,protectedResourceMetadata,requireAuth,scopeAuthPlugin';

it('can be require()d from CommonJS', async () => {
  // This checkout's package (its package.json's entry), wherever node_modules points.
  const { stdout } = await run(
    process.execPath,
    ['-e', `console.log(Object.keys(require(${JSON.stringify(join(root, 'sdk'))})).sort().join(','))`],
    { cwd: dir, env },
  );
  expect(stdout.trim()).toBe(EXPORTS);
});

it('can be imported as ESM', async () => {
  const script = `import * as sdk from '${join(root, 'sdk/dist/index.js')}'; console.log(Object.keys(sdk).sort().join(','));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, env });
  expect(stdout.trim()).toBe(EXPORTS);
});
