import { openDatabase } from '../storage/database.js';
import { migrateDatabase } from '../storage/db.js';
import { output, type Command } from './support.js';

export const migrate: Command = {
  name: 'migrate',
  usage: 'migrate                         create the database if needed and apply migrations (safe to repeat)',
  async run({ config, values }) {
    // Embedded: opening the store migrates it; beside a running server, through its socket.
    const database = await openDatabase(config, { shareWithServer: true });
    let applied: string[];
    try {
      applied = database.holder === 'self' ? database.applied : await migrateDatabase(database.url);
    } finally {
      await database.close();
    }
    output(values, { applied }, applied.length ? `applied: ${applied.join(', ')}` : 'already up to date');
  },
};
