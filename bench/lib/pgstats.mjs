// Transactions committed in a dataset's database: the key-record reads a run caused (a hot
// exchange reads nothing; background tasks commit a few per second).
import pg from 'pg';

export async function openDbCounter(databaseUrl) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const read = async () => {
    // pg_stat_database is updated when a backend reports, at most every 500 ms (PostgreSQL 15+: at transaction end).
    const { rows } = await client.query('SELECT xact_commit::bigint AS n FROM pg_stat_database WHERE datname = current_database()');
    return Number(rows[0].n);
  };
  return { read, close: () => client.end() };
}
