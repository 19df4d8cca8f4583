import type { Knex } from 'knex';
import * as createSchema from './20261122000000_create_schema.js';
import * as issuedTokenLifetimes from './20261130000000_issued_token_lifetimes.js';
import * as people from './20261130190001_people.js';
import * as keyUsage from './20261130200001_key_usage.js';
import * as logExchanges from './20261130200002_log_exchanges.js';
import * as keyNameSearch from './20261130210001_key_name_search.js';
import * as serviceInstances from './20261130210001_service_instances.js';

type Migration = { up(knex: Knex): Promise<void>; down(knex: Knex): Promise<void> };

// Listed explicitly (not discovered on disk) so the same list works from TypeScript sources,
// the compiled build and the test runner. Append new migrations; never edit a merged one.
export const MIGRATIONS: ReadonlyArray<readonly [name: string, migration: Migration]> = [
  ['20261122000000_create_schema', createSchema],
  ['20261130000000_issued_token_lifetimes', issuedTokenLifetimes],
  ['20261130190001_people', people],
  ['20261130200001_key_usage', keyUsage],
  ['20261130200002_log_exchanges', logExchanges],
  ['20261130210001_key_name_search', keyNameSearch],
  ['20261130210001_service_instances', serviceInstances],
];
