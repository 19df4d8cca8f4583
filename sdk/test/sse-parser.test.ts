import { SseParser, type SseEvent } from '../src/sse.js';

function parse(chunks: string[]): { events: SseEvent[]; retries: number[] } {
  const events: SseEvent[] = [];
  const retries: number[] = [];
  const p = new SseParser(
    (e) => events.push(e),
    (ms) => retries.push(ms),
  );
  for (const c of chunks) p.push(c);
  return { events, retries };
}

describe('SseParser', () => {
  const stream = 'retry: 3000\n: ping\n\nid: 12\nevent: revocation\ndata: {"seq":12}\n\nid: 13\nevent: revocation\ndata: {"seq":13}\n\n';
  const expected = [
    { type: 'revocation', data: '{"seq":12}', lastEventId: '12' },
    { type: 'revocation', data: '{"seq":13}', lastEventId: '13' },
  ];

  it.each([
    ['in one chunk', [stream]],
    ['one character at a time', stream.split('')],
    ['with CRLF line ends split between chunks', stream.replace(/\n/g, '\r\n').split(/(?<=\r)/)],
    ['with CR line ends', [stream.replace(/\n/g, '\r')]],
    ['after a byte order mark', [`\ufeff${stream}`]],
  ])('parses events %s', (_name, chunks) => {
    const { events, retries } = parse(chunks);
    expect(events).toEqual(expected);
    expect(retries).toEqual([3000]);
  });

  it.each<[string, string, SseEvent[]]>([
    ['joins data lines with LF', 'data: a\ndata: b\n\n', [{ type: 'message', data: 'a\nb', lastEventId: '' }]],
    ['strips only one leading space', 'data:  x\n\n', [{ type: 'message', data: ' x', lastEventId: '' }]],
    ['takes a field without a colon as empty', 'data\n\n', [{ type: 'message', data: '', lastEventId: '' }]],
    ['keeps the last id for later events', 'id: 5\n\ndata: x\n\n', [{ type: 'message', data: 'x', lastEventId: '5' }]],
    ['ignores an id holding NUL', 'id: 1\0\ndata: x\n\n', [{ type: 'message', data: 'x', lastEventId: '' }]],
    ['ignores comments and unknown fields', ': hi\nfoo: bar\ndata: x\n\n', [{ type: 'message', data: 'x', lastEventId: '' }]],
    ['does not dispatch an unterminated event', 'data: x\n', []],
  ])('%s', (_name, text, events) => {
    expect(parse([text]).events).toEqual(events);
  });

  it('ignores a non-numeric retry', () => {
    expect(parse(['retry: soon\n\n']).retries).toEqual([]);
  });
});
