import { checkSecretFormat, generateSecret, hashSecret, secretHint, verifySecret } from '../../src/crypto/secrets.js';
import { decryptPrivateKey, encryptPrivateKey } from '../../src/crypto/key-encryption.js';

describe('secrets', () => {
  it('have the documented shape and a valid checksum', () => {
    for (const env of ['live', 'test'] as const) {
      const s = generateSecret(env);
      expect(s).toMatch(new RegExp(`^sk_${env}_[0-9A-Za-z]{43}[0-9A-Za-z]{6}$`));
      expect(checkSecretFormat(s)).toEqual({ env });
    }
  });

  it('are unique', () => {
    const many = new Set(Array.from({ length: 2000 }, () => generateSecret('live')));
    expect(many.size).toBe(2000);
  });

  it('reject a typo, a truncation or a foreign prefix without any lookup', () => {
    const s = generateSecret('live');
    const i = 20;
    const typo = s.slice(0, i) + (s[i] === 'a' ? 'b' : 'a') + s.slice(i + 1);
    for (const bad of [typo, s.slice(0, -1), s.replace('sk_live_', 'sk_prod_'), `${s}x`, '', 'sk_live_', s.toLowerCase()]) {
      expect(checkSecretFormat(bad)).toBeUndefined();
    }
  });

  it('are compared by HMAC in constant time', () => {
    const pepper = Buffer.from('pepper-pepper-pepper-pepper-pepper');
    const s = generateSecret('live');
    const h = hashSecret(pepper, s);
    expect(h).toHaveLength(32);
    expect(verifySecret(pepper, s, h)).toBe(true);
    expect(verifySecret(pepper, generateSecret('live'), h)).toBe(false);
    expect(verifySecret(Buffer.from('another-pepper-another-pepper-00'), s, h)).toBe(false);
    expect(verifySecret(pepper, s, Buffer.alloc(5))).toBe(false);
  });

  it('hint at the prefix and last four characters only', () => {
    const s = generateSecret('test');
    expect(secretHint(s)).toBe(`sk_test_...${s.slice(-4)}`);
  });
});

describe('private key encryption', () => {
  const kek = Buffer.alloc(32, 9);
  it('round-trips and binds the ciphertext to its key ID', () => {
    const sealed = encryptPrivateKey(kek, '{"d":"secret"}', 'kid-1');
    expect(sealed).not.toContain('secret');
    expect(decryptPrivateKey(kek, sealed, 'kid-1')).toBe('{"d":"secret"}');
    expect(() => decryptPrivateKey(kek, sealed, 'kid-2')).toThrow();
    expect(() => decryptPrivateKey(Buffer.alloc(32, 1), sealed, 'kid-1')).toThrow();
    expect(encryptPrivateKey(kek, 'x', 'k')).not.toBe(encryptPrivateKey(kek, 'x', 'k'));
  });
});
