import pg from 'pg';

/** Drops this run's databases (the shared one and any isolated ones). */
export default async function globalTeardown() {
  const run = process.env.SCOPE_AUTH_TEST_RUN;
  if (!run || !process.env.TEST_DATABASE_URL) return;
  const url = new URL(process.env.TEST_DATABASE_URL);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    const { rows } = await admin.query('SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $2', [name, `${name}\\_x\\_%`]);
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
