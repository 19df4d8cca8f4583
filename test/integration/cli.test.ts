import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { createTestInstance, waitFor } from '../support/app.js';
import { ensureBuilt } from '../support/build.js';
import { CLI, cliEnv, serveOnFreshDatabase } from '../support/cli.js';

const run = promisify(execFile);
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  await ensureBuilt('server');
  env = await cliEnv('cli');
}, 120_000);

const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) => run('node', [CLI, ...args], { env: { ...env, ...extra } });
const fails = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
  cli(args, extra).then(
    () => ({ code: 0, stderr: '' }),
    (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
  );

describe('scope-auth CLI', () => {
  it('migrates (twice), bootstraps an org whose admin key exchanges, and creates orgs and keys', async () => {
    expect(JSON.parse((await cli(['migrate', '--json'])).stdout)).toEqual({ applied: [] });
    expect(JSON.parse((await cli(['migrate', '--json'])).stdout)).toEqual({ applied: [] });

    const boot = JSON.parse((await cli(['bootstrap', '--org-name', 'Acme', '--json'])).stdout);
    expect(Object.keys(boot).sort()).toEqual(['key_id', 'org_id', 'secret']);
    expect(boot.org_id).toMatch(/^org_/);
    expect(boot.secret).toMatch(/^sk_live_/);

    const inst = await createTestInstance({ databaseUrl: env.DATABASE_URL });
    try {
      const res = await request(inst.app).post('/v1/token').send(boot).expect(200);
      expect(res.body.scope).toBe('keys:read keys:write audit:read');
      const keys = await request(inst.app).get('/v1/keys').set('Authorization', `Bearer ${res.body.access_token}`).expect(200);
      expect(keys.body.data).toHaveLength(1);

      const org = JSON.parse((await cli(['org', 'create', '--name', 'Beta', '--json'])).stdout);
      const key = JSON.parse(
        (
          await cli([
            'key',
            'create',
            '--org',
            org.org_id,
            '--name',
            'ci',
            '--scopes',
            'deploy:write read',
            '--audience',
            'https://api.example',
            '--env',
            'test',
            '--expires-in',
            '30d',
            '--json',
          ])
        ).stdout,
      );
      expect(key).toMatchObject({
        org_id: org.org_id,
        environment: 'test',
        scopes: ['deploy:write', 'read'],
        audiences: ['https://api.example'],
      });
      expect(Date.parse(key.expires_at) - Date.now()).toBeGreaterThan(29 * 86_400_000);
      const t = await request(inst.app)
        .post('/oauth/token')
        .type('form')
        .send({ grant_type: 'client_credentials', client_id: key.key_id, client_secret: key.secret })
        .expect(200);
      expect(t.body.scope).toBe('deploy:write read');
    } finally {
      await inst.close();
    }
  });

  it('rotates and lists signing keys', async () => {
    const rotated = JSON.parse((await cli(['signing-keys', 'rotate', '--json'])).stdout);
    expect(rotated).toMatchObject({ kid: expect.any(String), alg: 'ES256' });
    expect(Date.parse(rotated.activates_at)).toBeGreaterThan(Date.now() + 300_000);
    const list = JSON.parse((await cli(['signing-keys', 'list', '--json'])).stdout);
    expect(list.keys.map((k: { kid: string }) => k.kid)).toContain(rotated.kid);
  });

  it('lists orgs, and lists, shows, rotates and revokes keys through the same domain functions as the API', async () => {
    const org = JSON.parse((await cli(['org', 'create', '--name', 'Gamma', '--json'])).stdout);
    expect(JSON.parse((await cli(['org', 'list', '--json'])).stdout).orgs).toContainEqual({
      org_id: org.org_id,
      name: 'Gamma',
      created_at: expect.any(String),
    });
    const key = JSON.parse((await cli(['key', 'create', '--org', org.org_id, '--name', 'worker', '--scopes', 'read', '--json'])).stdout);
    const listed = JSON.parse((await cli(['key', 'list', '--org', org.org_id, '--json'])).stdout);
    expect(listed.keys.map((k: { id: string }) => k.id)).toEqual([key.key_id]);
    expect(JSON.stringify(listed)).not.toContain(key.secret);
    expect(JSON.parse((await cli(['key', 'get', key.key_id, '--json'])).stdout)).toMatchObject({
      id: key.key_id,
      status: 'active',
      created_by: 'cli',
    });

    const rotated = JSON.parse((await cli(['key', 'rotate', key.key_id, '--grace-period', '1h', '--json'])).stdout);
    expect(rotated).toMatchObject({
      secret: expect.stringMatching(/^sk_live_/),
      previous_key: { id: key.key_id, replaced_by: rotated.id },
    });
    const revoked = JSON.parse((await cli(['key', 'revoke', rotated.id, '--reason', 'done', '--json'])).stdout);
    expect(revoked).toMatchObject({ id: rotated.id, status: 'revoked', revoke_reason: 'done', revoked_by: 'cli' });
    expect(JSON.parse((await cli(['key', 'list', '--org', org.org_id, '--status', 'revoked', '--json'])).stdout).keys).toHaveLength(1);

    // Each action is audited once, by the CLI, as the API's would be.
    const inst = await createTestInstance({ databaseUrl: env.DATABASE_URL });
    try {
      const actions = (await inst.deps.db('audit_events').where({ org_id: org.org_id }).orderBy('id')).map(
        (e: { action: string; actor_type: string }) => `${e.action}/${e.actor_type}`,
      );
      expect(actions).toEqual(['org.created/cli', 'key.created/cli', 'key.rotated/cli', 'key.created/cli', 'key.revoked/cli']);
      await request(inst.app).post('/v1/token').send({ org_id: org.org_id, key_id: rotated.id, secret: rotated.secret }).expect(401);
    } finally {
      await inst.close();
    }
  });

  it('re-encrypts signing keys after KEY_ENCRYPTION_KEY changed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scope-auth-kek-'));
    try {
      const previousFile = join(dir, 'previous');
      writeFileSync(previousFile, `${env.KEY_ENCRYPTION_KEY}\n`);
      const next = { KEY_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64') };
      expect(
        JSON.parse((await cli(['signing-keys', 'reencrypt', '--previous-key-file', previousFile, '--json'], next)).stdout).resealed,
      ).toBeGreaterThan(0);
      // Under the new key every signing key opens; a second run has nothing left to do.
      expect(JSON.parse((await cli(['signing-keys', 'reencrypt', '--previous-key-file', previousFile, '--json'], next)).stdout)).toEqual({
        resealed: 0,
      });
      expect(JSON.parse((await cli(['signing-keys', 'list', '--json'], next)).stdout).keys.length).toBeGreaterThan(0);
      // And back, so the rest of this file keeps its key.
      writeFileSync(previousFile, next.KEY_ENCRYPTION_KEY);
      expect(
        JSON.parse((await cli(['signing-keys', 'reencrypt', '--previous-key-file', previousFile, '--json'])).stdout).resealed,
      ).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers --version and --help for every verb', async () => {
    expect((await cli(['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    for (const verb of ['migrate', 'serve', 'bootstrap', 'org', 'key', 'signing-keys']) {
      const { stdout } = await cli([verb, '--help']);
      expect(stdout).toContain(`  ${verb}`);
      expect((await cli(['help', verb])).stdout).toBe(stdout);
    }
    // A usage mistake is one line that points at --help, not the whole usage.
    const wrong = await fails(['key', 'frob']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr.trim().split('\n').at(-1)).toBe('scope-auth: key takes create, list, get, revoke, rotate (see scope-auth --help)');
    expect(wrong.stderr).not.toContain('commands:');
  });

  it('exits 2 with a clear message on bad usage or bad configuration', async () => {
    // Independent processes that change nothing: run side by side.
    const [noOrgName, unknown, badOrg, badFlag, prod] = await Promise.all([
      fails(['bootstrap']),
      fails(['frobnicate']),
      fails(['key', 'create', '--org', 'org_x', '--name', 'n']),
      fails(['migrate', '--bogus']),
      fails(['migrate'], { NODE_ENV: 'production', SECRET_PEPPER: '', KEY_ENCRYPTION_KEY: '' }),
    ]);
    expect(noOrgName).toMatchObject({ code: 2, stderr: expect.stringContaining('--org-name is required') });
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown command "frobnicate"') });
    expect(badOrg).toMatchObject({ code: 2, stderr: expect.stringContaining('--org must be an org ID') });
    expect(badFlag).toMatchObject({ code: 2 });
    expect(prod.code).toBe(2);
    expect(prod.stderr).toContain('SECRET_PEPPER: required when NODE_ENV=production');
  });

  it('serves (creating and migrating a database that does not exist yet), and stops cleanly on SIGTERM', async () => {
    const child = serveOnFreshDatabase(env, 'fresh');
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => /"port":(\d+)/.test(out), 10_000, 'server to listen');
    const port = Number(/"port":(\d+)/.exec(out)![1]);
    await request(`http://127.0.0.1:${port}`).get('/healthz').expect(200);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('server.stopped');
  });
});
