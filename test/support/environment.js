// Plain JS: jest loads the test environment outside its module system, like globalSetup.
import environment from 'jest-environment-node';

const { TestEnvironment } = environment;

/**
 * Node's environment, plus: after a test file's own hooks, close what it left open
 * (`tracked` in app.ts), then run its `afterFile` cleanups (its Redis prefixes' keys). A failed
 * assertion can skip a test's close, and jest runs in band on 2 cores, so one leftover Redis socket
 * would keep the whole run from ever exiting. A file whose tests all passed and still left
 * something open fails instead: that is a leak in the test.
 */
export default class ScopeAuthEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.testPath = context.testPath;
    this.failed = false;
  }

  handleTestEvent(event) {
    if (event.name === 'hook_failure' || (event.name === 'test_done' && event.test.errors.length > 0)) this.failed = true;
  }

  async teardown() {
    const file = this.global.__scopeAuthFile;
    const left = [...(file?.open ?? [])];
    for (const close of left) await close().catch(() => undefined);
    for (const cleanup of file?.afterFile ?? []) await cleanup().catch(() => undefined);
    await super.teardown();
    if (left.length > 0 && !this.failed) throw new Error(`${this.testPath} left ${left.length} test instance(s) or server(s) open`);
  }
}
