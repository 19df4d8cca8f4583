import { AppError } from '../../src/errors.js';
import { ipAllowed, parseCidr } from '../../src/domain/cidr.js';
import { narrowGrant, parseScopeParam } from '../../src/domain/scopes.js';
import { parseDurationSeconds } from '../../src/duration.js';

describe('narrowGrant', () => {
  const key = { scopes: ['a', 'b', 'c'], audiences: ['https://x', 'https://y'] };
  it.each([
    [{}, { scopes: ['a', 'b', 'c'], audience: ['https://x', 'https://y'] }],
    [{ scopes: ['b'] }, { scopes: ['b'], audience: ['https://x', 'https://y'] }],
    [{ audience: 'https://y' }, { scopes: ['a', 'b', 'c'], audience: 'https://y' }],
  ])('grants %j as %j', (requested, grant) => {
    expect(narrowGrant(key, requested, 'https://default')).toEqual(grant);
  });

  it('uses the default audience for a key without audiences', () => {
    expect(narrowGrant({ scopes: [], audiences: [] }, {}, 'https://default')).toEqual({ scopes: [], audience: 'https://default' });
  });

  it('refuses wider scopes and foreign audiences with the right codes', () => {
    expect(() => narrowGrant(key, { scopes: ['a', 'z'] }, 'd')).toThrow(
      new AppError('invalid_scope', 'scope "z" is not granted to this key'),
    );
    expect(() => narrowGrant(key, { audience: 'https://z' }, 'd')).toThrow(expect.objectContaining({ code: 'invalid_target' }));
  });

  it('parses RFC 6749 scope strings', () => {
    expect(parseScopeParam(undefined)).toBeUndefined();
    expect(parseScopeParam('   ')).toBeUndefined();
    expect(parseScopeParam('a  b a')).toEqual(['a', 'b']);
  });
});

describe('CIDR allowlists', () => {
  it.each([
    [[], '1.2.3.4', true],
    [['10.0.0.0/8'], '10.1.2.3', true],
    [['10.0.0.0/8'], '11.1.2.3', false],
    [['10.0.0.0/8'], '::ffff:10.9.9.9', true],
    [['2001:db8::/32'], '2001:db8::1', true],
    [['2001:db8::/32'], '2001:db9::1', false],
    [['10.0.0.0/8'], null, false],
    [['10.0.0.0/8'], 'garbage', false],
  ])('%j allows %s: %s', (cidrs, ip, allowed) => {
    expect(ipAllowed(cidrs, ip)).toBe(allowed);
  });

  it('parses only well-formed CIDRs', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ address: '10.0.0.0', prefix: 8, family: 'ipv4' });
    for (const bad of ['10.0.0.0', '10.0.0.0/33', '::/129', 'a/8', '10.0.0.0/-1']) expect(parseCidr(bad)).toBeUndefined();
  });
});

describe('durations', () => {
  it.each([
    ['90', 90],
    ['15m', 900],
    ['12h', 43_200],
    ['90d', 7_776_000],
    ['2w', 1_209_600],
    ['0', undefined],
    ['1y', undefined],
    ['-5', undefined],
  ])('%s → %s', (v, s) => expect(parseDurationSeconds(v)).toBe(s));
});
