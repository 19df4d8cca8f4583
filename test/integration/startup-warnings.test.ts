import { startServer } from '../../src/main.js';
import { createLogger } from '../../src/log.js';
import { LogCapture, newPrefix, testConfig } from '../support/app.js';
import { ensureMigrated } from '../support/databases.js';

describe('start-up warnings', () => {
  it('logs each risky setting allowed outside production (TRUST_PROXY=true)', async () => {
    await ensureMigrated();
    const logs = new LogCapture();
    const server = await startServer(testConfig(newPrefix(), { TRUST_PROXY: 'true' }), { log: createLogger('info', logs), port: 0 });
    await server.shutdown();
    const warnings = logs.lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 40);
    expect(warnings).toEqual([expect.objectContaining({ msg: expect.stringMatching(/^TRUST_PROXY=true trusts any X-Forwarded-For/) })]);
  });
});
