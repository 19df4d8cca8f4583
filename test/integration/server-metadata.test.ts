import request from 'supertest';
import { createTestInstance, type TestInstance } from '../support/app.js';
import { TEST_ISSUER } from '../support/env.js';
import { runPython } from '../support/python.js';

let inst: TestInstance;
beforeAll(async () => {
  inst = await createTestInstance();
});
afterAll(async () => inst.close());

// https://www.iana.org/assignments/oauth-parameters: "Token Endpoint Authentication Methods" and
// "OAuth Authorization Endpoint Response Types".
const REGISTERED_AUTH_METHODS = [
  'none',
  'client_secret_post',
  'client_secret_basic',
  'client_secret_jwt',
  'private_key_jwt',
  'tls_client_auth',
  'self_signed_tls_client_auth',
];

describe('authorization server metadata', () => {
  it('is exactly the RFC 8414 document, with registered values only', async () => {
    // Exactly: no token_endpoint_auth_signing_alg_values_supported, which (RFC 8414 §2) names the algorithms
    // of private_key_jwt / client_secret_jwt client authentication, not offered here; token signing is in the JWKS.
    const res = await request(inst.app).get('/.well-known/oauth-authorization-server').expect(200);
    expect(res.body).toEqual({
      issuer: TEST_ISSUER,
      token_endpoint: `${TEST_ISSUER}/oauth/token`,
      jwks_uri: `${TEST_ISSUER}/.well-known/jwks.json`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      introspection_endpoint: `${TEST_ISSUER}/oauth/introspect`,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      revocation_endpoint: `${TEST_ISSUER}/oauth/revoke`,
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      response_types_supported: ['none'],
      scopes_supported: ['keys:read', 'keys:write', 'audit:read', 'members:read', 'members:write', 'resources:write'],
      service_documentation: `${TEST_ISSUER}/openapi.json`,
    });
    for (const member of [
      'token_endpoint_auth_methods_supported',
      'introspection_endpoint_auth_methods_supported',
      'revocation_endpoint_auth_methods_supported',
    ]) {
      for (const method of res.body[member] as string[]) expect(REGISTERED_AUTH_METHODS).toContain(method);
    }
  });

  it('is served at /.well-known/openid-configuration too, byte for byte', async () => {
    const rfc8414 = await request(inst.app).get('/.well-known/oauth-authorization-server').expect(200);
    const oidc = await request(inst.app).get('/.well-known/openid-configuration').expect(200);
    expect(oidc.text).toBe(rfc8414.text);
    expect(oidc.headers['content-type']).toBe(rfc8414.headers['content-type']);
    expect(oidc.headers['cache-control']).toBe(rfc8414.headers['cache-control']);
  });

  it("passes authlib's RFC 8414 validator", async () => {
    const res = await request(inst.app).get('/.well-known/openid-configuration').expect(200);
    const script = [
      'import json, sys',
      'from authlib.oauth2.rfc8414 import AuthorizationServerMetadata',
      'm = AuthorizationServerMetadata(json.load(sys.stdin))',
      'm.validate()',
      'print("valid")',
    ].join('\n');
    expect((await runPython(script, res.text)).trim()).toBe('valid');
  });

  it("authlib's validator refuses the earlier empty response_types_supported", async () => {
    const res = await request(inst.app).get('/.well-known/oauth-authorization-server').expect(200);
    const script = [
      'import json, sys',
      'from authlib.oauth2.rfc8414 import AuthorizationServerMetadata',
      'doc = json.load(sys.stdin)',
      'doc["response_types_supported"] = []',
      'try:',
      '    AuthorizationServerMetadata(doc).validate()',
      '    print("valid")',
      'except ValueError as e:',
      '    print(e)',
    ].join('\n');
    expect((await runPython(script, res.text)).trim()).toBe('"response_types_supported" is required');
  });
});
