import { createTestInstance, type TestInstance } from '../support/app.js';
import { describeProtectedRoutes } from '../support/protected-route.js';

let inst: TestInstance;
beforeAll(async () => {
  inst = await createTestInstance();
});
afterAll(async () => inst.close());

// Every bearer route of the table: no token → 401, a missing scope → 403, another org's object → 404.
describeProtectedRoutes(() => inst);
