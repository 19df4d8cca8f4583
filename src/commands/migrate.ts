import { migrateDatabase } from '../storage/db.js';
import { output, type Command } from './support.js';

export const migrate: Command = {
  name: 'migrate',
  usage: 'migrate                         create the database if needed and apply migrations (safe to repeat)',
  async run({ config, values }) {
    const applied = await migrateDatabase(config.databaseUrl);
    output(values, { applied }, applied.length ? `applied: ${applied.join(', ')}` : 'already up to date');
  },
};
