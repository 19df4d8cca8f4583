import { Writable } from 'node:stream';
import { AppError } from '../../src/errors.js';
import { createLogger, redactSecrets } from '../../src/log.js';

const SECRET = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc4eC39HqLyjWDarjtT1zdp7';
const TEST_SECRET = 'sk_test_0123456789abcdefghijABCDEFGHIJ';
const JWT = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJrZXlfMDEifQ.c2lnbmF0dXJl';

class Lines extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
}

function capture() {
  const out = new Lines();
  return { out, log: createLogger('info', out) };
}

describe('redactSecrets', () => {
  it.each([
    [`a ${SECRET} b`, 'a [redacted] b'],
    [`Bearer ${JWT}`, 'Bearer [redacted]'],
    [`${TEST_SECRET}:key_01`, '[redacted]:key_01'],
    ['sk_live_short', 'sk_live_short'],
    ['key_01JAAAAAAAAAAAAAAAAAAAAAAA', 'key_01JAAAAAAAAAAAAAAAAAAAAAAA'],
    ['eyJonly.one', 'eyJonly.one'],
  ])('%s → %s', (input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });
});

describe('logger redaction by value', () => {
  it('redacts secret- and JWT-shaped strings anywhere in a logged object', () => {
    const { out, log } = capture();
    log.info({ detail: { keyId: SECRET, list: [`x ${JWT}`, { deep: { deeper: SECRET } }] }, count: 3, ok: true }, 'request.rejected');
    expect(out.lines).toHaveLength(1);
    const line = JSON.parse(out.lines[0]!);
    expect(line).toMatchObject({
      detail: { keyId: '[redacted]', list: ['x [redacted]', { deep: { deeper: '[redacted]' } }] },
      count: 3,
      ok: true,
      msg: 'request.rejected',
    });
  });

  it('redacts the message, error messages and stacks, causes and error detail', () => {
    const { out, log } = capture();
    log.warn(`pasted ${SECRET} here`);
    log.error({ err: new Error(`bad token ${JWT}`) }, 'request.failed');
    log.error(new AppError('invalid_client', 'client authentication failed', { keyId: SECRET }));
    log.error({ err: new Error('outer', { cause: new Error(`inner ${SECRET}`) }) }, 'x');
    log.info({ other: new Error(`nested ${SECRET}`) }, 'y');
    const text = out.lines.join('\n');
    expect(text).not.toMatch(/sk_live_4eC39|eyJhbGciOi/);
    expect(out.lines).toHaveLength(5);
    const [warn, failed, appError] = out.lines.map((l) => JSON.parse(l));
    expect(warn.msg).toBe('pasted [redacted] here');
    expect(failed.err).toMatchObject({
      type: 'Error',
      message: 'bad token [redacted]',
      stack: expect.stringContaining('bad token [redacted]'),
    });
    expect(appError.err ?? appError).toMatchObject({ detail: { keyId: '[redacted]' } });
  });

  it('keeps redacting by path', () => {
    const { out, log } = capture();
    log.info({ secret: 'plain-but-named-secret', nested: { password: 'hunter2hunter2' } }, 'x');
    expect(out.lines[0]).not.toMatch(/plain-but-named-secret|hunter2/);
  });
});
