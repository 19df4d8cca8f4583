import { SignJWT, type CryptoKey } from 'jose';

export type AccessTokenClaims = {
  iss: string;
  sub: string;
  client_id: string;
  org_id: string;
  aud: string | string[];
  scope: string;
  env: 'live' | 'test';
  iat: number;
  exp: number;
  jti: string;
};

export type SigningMaterial = { kid: string; alg: string; privateKey: CryptoKey };

/** RFC 9068: `typ: at+jwt` so an access token cannot be confused with an ID token or other JWT. */
export async function signAccessToken(claims: AccessTokenClaims, key: SigningMaterial): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' }).sign(key.privateKey);
}
