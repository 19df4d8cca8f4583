// Plain JS: jest loads globalSetup outside its module system, so it cannot import the TS sources.
// Each run gets a database of its own (named after this process), so two runs on one machine
// never disturb each other; migrations run from the first test file that needs them.
import pg from 'pg';

const BASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/scope_auth_test';

function adminClient() {
  const url = new URL(BASE_URL);
  url.pathname = '/postgres';
  return new pg.Client({ connectionString: url.toString() });
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export default async function globalSetup() {
  // The embedded backend (jest.config.js chose it): each worker opens its own store; no Postgres here.
  if (process.env.TEST_BACKEND === 'embedded') {
    process.env.SCOPE_AUTH_TEST_RUN = String(process.pid);
    return;
  }
  const base = new URL(BASE_URL).pathname.slice(1);
  const name = `${base}_${process.pid}`;
  const admin = adminClient();
  await admin.connect();
  try {
    // Leftovers of runs that died before their teardown.
    const { rows } = await admin.query('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${base}\\_%`]);
    for (const { datname } of rows) {
      const pid = Number(/_(\d+)(?:_|$)/.exec(datname.slice(base.length))?.[1]);
      if (datname === name || (pid && !alive(pid))) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(BASE_URL);
  url.pathname = `/${name}`;
  // Workers are forked after this and inherit the environment.
  process.env.TEST_DATABASE_URL = url.toString();
  process.env.SCOPE_AUTH_TEST_RUN = String(process.pid);
}
