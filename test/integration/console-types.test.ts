// The console's API types are generated, never hand-edited (issue 21, point 1): the committed
// console/src/api/schema.d.ts must equal what scripts/console-types.mjs makes from today's route table.
import { readFile } from 'node:fs/promises';
import { buildOpenApi } from '../../src/http/openapi.js';
import { routes } from '../../src/http/routes/index.js';
import { TYPES_FILE, typesOf } from '../../scripts/console-types.mjs';

describe('console/src/api/schema.d.ts', () => {
  it('is what scripts/console-types.mjs generates from the routes (run npm run build and commit it when this fails)', async () => {
    const fresh = await typesOf(buildOpenApi('http://localhost:3000', '0', routes));
    expect(await readFile(TYPES_FILE, 'utf8')).toBe(fresh);
    expect(fresh).toContain('listKeys: {');
  });
});
