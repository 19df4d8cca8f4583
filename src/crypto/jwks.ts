import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { SigningAlg } from '../config.js';

export type PublicJwk = JWK & { kid: string; alg: string; use: 'sig' };

const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e'] as const;

/** Keeps only the public members, so a private parameter can never leak into the JWKS by accident. */
function toPublicJwk(jwk: JWK, kid: string, alg: string): PublicJwk {
  const out: JWK = {};
  for (const m of PUBLIC_MEMBERS) if (jwk[m] !== undefined) out[m] = jwk[m];
  return { ...out, kid, alg, use: 'sig' };
}

/** RSA keys are 2048 bits or larger (RFC 7518 §3.3); 2048 is what RSA-only gateways expect. */
const RSA_MODULUS_BITS = 2048;

export type GeneratedKey = { kid: string; alg: SigningAlg; publicJwk: PublicJwk; privateJwk: JWK };

export async function generateSigningKey(alg: SigningAlg): Promise<GeneratedKey> {
  const { privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
    ...(alg === 'RS256' ? { modulusLength: RSA_MODULUS_BITS } : {}),
  });
  const privateJwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(privateJwk, 'sha256'); // thumbprint uses public members only
  return { kid, alg, publicJwk: toPublicJwk(privateJwk, kid, alg), privateJwk };
}

export async function importPrivateJwk(jwk: JWK, alg: string): Promise<CryptoKey> {
  const key = await importJWK(jwk, alg);
  if (key instanceof Uint8Array) throw new TypeError('signing key must be asymmetric');
  return key;
}
