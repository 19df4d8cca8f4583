// The SDK stands alone (issue 22, point 8): the `npm pack` tarball installs into an empty project
// (no repository around it) and works there from ESM, from CommonJS require(), and with its types.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestInstance, listen, newPrefix, type TestInstance } from '../../test/support/app.js';
import { ensureBuilt } from '../../test/support/build.js';
import { TEST_ISSUER } from '../../test/support/env.js';
import { createKey, createOrg } from '../../test/support/fixtures.js';

const run = promisify(execFile);
const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
// No NODE_PATH, no repository: only what the project installed. npm from its cache (jose is the one dependency).
const env = {
  ...process.env,
  NODE_PATH: '',
  NODE_OPTIONS: '',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
};

let dir: string;
let inst: TestInstance;
let srv: Awaited<ReturnType<typeof listen>>;
let creds: { orgId: string; apiKey: string; apiSecret: string };

beforeAll(async () => {
  await ensureBuilt('sdk');
  dir = await mkdtemp(join(tmpdir(), 'scope-auth-sdk-pack-'));
  await run('npm', ['pack', '--pack-destination', dir], { cwd: join(root, 'sdk'), env });
  const tarball = (await readdir(dir)).find((f) => f.endsWith('.tgz'))!;
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'empty-project', version: '1.0.0', private: true }));
  await run('npm', ['install', '--prefer-offline', '--ignore-scripts', `./${tarball}`], { cwd: dir, env });
  inst = await createTestInstance({ prefix: newPrefix() });
  srv = await listen(inst.app);
  const org = await createOrg(inst.deps);
  const { key, secret } = await createKey(inst.deps, org, { scopes: ['read'] });
  creds = { orgId: org.id, apiKey: key.id, apiSecret: secret };
}, 180_000);
afterAll(async () => {
  await srv.close();
  await inst.close();
  await rm(dir, { recursive: true, force: true });
});

// Exchanges a token with TokenClient and verifies it with createVerifier, from the installed package.
const body = (load: string) => `${load}
const client = new TokenClient({ orgId: process.env.ORG, apiKey: process.env.KEY, apiSecret: process.env.SECRET, authUrl: process.env.AUTH });
const verifier = createVerifier({ issuer: process.env.ISSUER, audience: process.env.ISSUER, jwksUrl: process.env.AUTH + '/.well-known/jwks.json', revocation: { authUrl: process.env.AUTH } });
(async () => {
  const claims = await verifier.verify(await client.getToken());
  console.log(JSON.stringify({ sub: claims.sub, scope: claims.scope }));
  client.close();
  await verifier.close();
})().catch((e) => { console.error(e); process.exit(1); });
`;
const runEnv = () => ({ ...env, ORG: creds.orgId, KEY: creds.apiKey, SECRET: creds.apiSecret, AUTH: srv.url, ISSUER: TEST_ISSUER });

describe('the npm pack tarball in an empty project', () => {
  it('works from ESM', async () => {
    await writeFile(join(dir, 'esm.mjs'), body("import { createVerifier, TokenClient } from '@scope-auth/sdk';"));
    const { stdout } = await run(process.execPath, ['esm.mjs'], { cwd: dir, env: runEnv() });
    expect(JSON.parse(stdout)).toEqual({ sub: creds.apiKey, scope: 'read' });
  });

  it('works from CommonJS require()', async () => {
    await writeFile(join(dir, 'cjs.cjs'), body("const { createVerifier, TokenClient } = require('@scope-auth/sdk');"));
    const { stdout } = await run(process.execPath, ['cjs.cjs'], { cwd: dir, env: runEnv() });
    expect(JSON.parse(stdout)).toEqual({ sub: creds.apiKey, scope: 'read' });
  });

  it('ships types a strict TypeScript project compiles against', async () => {
    await writeFile(
      join(dir, 'typed.ts'),
      `import { createVerifier, protectedResourceMetadata, ScopeAuthError, TokenClient, type Claims } from '@scope-auth/sdk';
const verifier = createVerifier({ issuer: 'https://auth.example.com', audience: 'https://api.example.com', revocation: false, cacheSize: 100 });
const client = new TokenClient({ orgId: 'org_x', apiKey: 'key_x', apiSecret: 'sk_x', authUrl: 'https://auth.example.com' });
export async function check(token: string): Promise<string> {
  try {
    const claims: Claims = await verifier.verify(token, { scopes: ['read'] });
    return claims.org_id;
  } catch (err) {
    if (err instanceof ScopeAuthError) return err.code;
    throw err;
  }
}
export const metadataUrl: string = protectedResourceMetadata({ resource: 'https://api.example.com', authorizationServers: ['https://auth.example.com'] }).metadataUrl;
export const close = () => client.close();
// @ts-expect-error -- the types are real: issuer is a string
createVerifier({ issuer: 1, audience: 'a', revocation: false });
`,
    );
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files: ['typed.ts'],
      }),
    );
    await run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(dir, 'tsconfig.json')], { cwd: dir, env }).catch(
      (e: { stdout: string }) => {
        throw new Error(`does not compile:\n${e.stdout}`);
      },
    );
  });
});
