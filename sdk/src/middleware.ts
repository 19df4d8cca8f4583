import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Claims } from './claims.js';
import { ScopeAuthError } from './errors.js';
import type { Verifier } from './verifier.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- the way to extend express's Request type
  namespace Express {
    interface Request {
      /** The verified token claims, set by `requireAuth`. */
      auth?: Claims;
    }
  }
}

export type RequireAuthOptions = {
  verifier: Verifier;
  /** Scopes this route requires, on top of the verifier's `requiredScopes`. */
  scopes?: string[];
  /** `realm` of the `WWW-Authenticate` challenge. Default `scope-auth`. */
  realm?: string;
};

/**
 * Express middleware: verifies `Authorization: Bearer <token>`, puts the claims on `req.auth`,
 * and answers RFC 6750 errors itself (401 `invalid_token`, 403 `insufficient_scope`, 503 `unavailable`).
 */
export function requireAuth(options: RequireAuthOptions): RequestHandler {
  const { verifier, scopes = [] } = options;
  // Checked at run time too: JavaScript callers get no compiler to catch a missing verifier.
  if (typeof (verifier as Partial<Verifier> | undefined)?.verify !== 'function') throw new TypeError('requireAuth needs a verifier');
  const realm = `realm="${quote(options.realm ?? 'scope-auth')}"`;
  const verifyOptions = { scopes };

  return async (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization;
    // RFC 6750 §3.1: a request without credentials gets a challenge without an error code.
    if (!header) {
      res.setHeader('WWW-Authenticate', `Bearer ${realm}`);
      res.status(401).json({ error: 'invalid_token', error_description: 'an access token is required' });
      return;
    }
    const token = readBearer(header);
    if (!token) {
      reject(res, realm, new ScopeAuthError('invalid_token', 'Authorization header must be "Bearer <token>"', { status: 401 }));
      return;
    }
    try {
      req.auth = await verifier.verify(token, verifyOptions);
    } catch (err) {
      if (!(err instanceof ScopeAuthError)) throw err;
      reject(res, realm, err);
      return;
    }
    next();
  };
}

/** RFC 6750 §2.1: `Bearer` (any case), one or more spaces, a b64token. */
function readBearer(header: string): string | undefined {
  return /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(header)?.[1];
}

function reject(res: Response, realm: string, err: ScopeAuthError): void {
  if (err.code === 'insufficient_scope') {
    const scope = err.scope ? `, scope="${quote(err.scope)}"` : '';
    res.setHeader('WWW-Authenticate', `Bearer ${realm}, error="insufficient_scope", error_description="${quote(err.description)}"${scope}`);
    res.status(403).json({ error: 'insufficient_scope', error_description: err.description });
    return;
  }
  if (err.code === 'unavailable') {
    res.setHeader('Retry-After', '5');
    res.status(503).json({ error: 'unavailable', error_description: err.description });
    return;
  }
  // token_expired and token_revoked are RFC 6750 invalid_token on the wire; the description says which.
  res.setHeader('WWW-Authenticate', `Bearer ${realm}, error="invalid_token", error_description="${quote(err.description)}"`);
  res.status(401).json({ error: 'invalid_token', error_description: err.description });
}

/** A quoted-string may not hold `"` or `\` unescaped, nor control or non-ASCII characters. */
function quote(s: string): string {
  return s.replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, '?');
}
