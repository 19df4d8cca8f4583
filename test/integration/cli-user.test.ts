import { spawn } from 'node:child_process';
import request from 'supertest';
import { createTestInstance, waitFor, type TestInstance } from '../support/app.js';
import { ensureBuilt } from '../support/build.js';
import { CLI, cliEnv, serveOnFreshDatabase } from '../support/cli.js';

let env: NodeJS.ProcessEnv;
let inst: TestInstance;

beforeAll(async () => {
  await ensureBuilt('server');
  env = await cliEnv('cli-user');
  inst = await createTestInstance({ databaseUrl: env.DATABASE_URL });
}, 120_000);
afterAll(async () => {
  await inst.close();
});

/** Runs the CLI with `stdin` piped in; resolves with its exit code and output. */
function cli(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', [CLI, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

const PASSWORD = 'a headless owner password';

describe('scope-auth user', () => {
  it('creates the first owner and their organisation from a password on stdin, who then signs in', async () => {
    const res = await cli(
      [
        'user',
        'create',
        '--email',
        'Owner@Example.test',
        '--name',
        'Olga',
        '--org-name',
        'Acme',
        '--role',
        'owner',
        '--password-stdin',
        '--json',
      ],
      `${PASSWORD}\n`,
    );
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(out).toEqual({
      user_id: expect.stringMatching(/^usr_/),
      email: 'Owner@Example.test',
      org_id: expect.stringMatching(/^org_/),
      role: 'owner',
    });
    expect(res.stdout + res.stderr).not.toContain(PASSWORD);
    const signIn = await request(inst.app).post('/v1/session').send({ email: 'owner@example.test', password: PASSWORD }).expect(200);
    expect(signIn.body).toMatchObject({ user: { id: out.user_id, name: 'Olga' }, org: { id: out.org_id, name: 'Acme' }, role: 'owner' });

    // A second account with the same address, in any case, is refused.
    const again = await cli(
      ['user', 'create', '--email', 'OWNER@example.test', '--org', out.org_id, '--role', 'viewer', '--password-stdin'],
      PASSWORD,
    );
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('an account with this email already exists');
  });

  it('refuses a short or common password, a missing --password-stdin and an unknown role', async () => {
    const short = await cli(['user', 'create', '--email', 'a@example.test', '--org-name', 'X', '--password-stdin'], 'short');
    expect(short).toMatchObject({ code: 1, stderr: expect.stringContaining('password must be at least 12 characters') });
    const common = await cli(['user', 'create', '--email', 'b@example.test', '--org-name', 'X', '--password-stdin'], 'password1234');
    expect(common).toMatchObject({ code: 1, stderr: expect.stringContaining('password is too common') });
    expect((await cli(['user', 'create', '--email', 'c@example.test', '--org-name', 'X'])).code).toBe(2);
    expect(
      (await cli(['user', 'create', '--email', 'd@example.test', '--org-name', 'X', '--role', 'boss', '--password-stdin'], PASSWORD)).code,
    ).toBe(2);
    expect(
      await inst.deps.db('users').whereIn('email', ['a@example.test', 'b@example.test', 'c@example.test', 'd@example.test']),
    ).toHaveLength(0);
  });

  it('reset-password sets a new password and ends every session of that person', async () => {
    const created = JSON.parse(
      (await cli(['user', 'create', '--email', 'dev@example.test', '--org-name', 'Dev Org', '--password-stdin', '--json'], PASSWORD))
        .stdout,
    );
    const signIn = await request(inst.app).post('/v1/session').send({ email: 'dev@example.test', password: PASSWORD }).expect(200);
    const cookie = ([] as string[]).concat(signIn.headers['set-cookie'] ?? [])[0]!.split(';')[0]!;
    const reset = await cli(
      ['user', 'reset-password', '--email', 'dev@example.test', '--password-stdin', '--json'],
      'a brand new passphrase',
    );
    expect(reset.code).toBe(0);
    expect(JSON.parse(reset.stdout)).toEqual({ user_id: created.user_id, email: 'dev@example.test' });
    await request(inst.app).get('/v1/me').set('Cookie', cookie).expect(401);
    await request(inst.app).post('/v1/session').send({ email: 'dev@example.test', password: PASSWORD }).expect(401);
    await request(inst.app).post('/v1/session').send({ email: 'dev@example.test', password: 'a brand new passphrase' }).expect(200);
  });
});

describe('scope-auth serve on a store with no user', () => {
  it('prints a one-time setup URL to the terminal (never to the log) that makes the first owner', async () => {
    const child = serveOnFreshDatabase(env, 'setup');
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    await waitFor(() => /"port":(\d+)/.test(out) && /setup#token=/.test(err), 15_000, 'server to listen and print its setup URL');
    const port = Number(/"port":(\d+)/.exec(out)![1]);
    const token = /\/console\/setup#token=([A-Za-z0-9_-]{43})/.exec(err)![1]!;
    const res = await request(`http://127.0.0.1:${port}`)
      .post('/v1/setup')
      .send({ token, email: 'founder@example.test', name: 'Founder', password: 'a founding passphrase', org_name: 'Founded' })
      .expect(200);
    expect(res.body).toMatchObject({ role: 'owner', org: { name: 'Founded' } });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('setup.pending');
    expect(out).not.toContain(token);
  });
});
