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

describe('start-up settings (issue 18)', () => {
  it('keeps idle keep-alive connections KEEP_ALIVE_TIMEOUT_SECONDS, and names server mode in its log', async () => {
    await ensureMigrated();
    const logs = new LogCapture();
    const server = await startServer(testConfig(newPrefix(), { KEEP_ALIVE_TIMEOUT_SECONDS: '70' }), {
      log: createLogger('info', logs),
      port: 0,
    });
    try {
      expect(server.server.keepAliveTimeout).toBe(70_000);
    } finally {
      await server.shutdown();
    }
    expect(logs.text()).toContain('"mode":"server","database":"postgres","redis":"redis","msg":"server.mode"');
  });

  it('warns in development when ISSUER names another local port than the one served', async () => {
    await ensureMigrated();
    const logs = new LogCapture();
    const config = testConfig(newPrefix(), { NODE_ENV: 'development', PORT: '18999', ISSUER: 'http://localhost:8080' });
    const server = await startServer(config, { log: createLogger('info', logs), port: 0 });
    await server.shutdown();
    expect(logs.text()).toContain('ISSUER (http://localhost:8080) names port 8080, but the server listens on PORT=18999');
  });
});
