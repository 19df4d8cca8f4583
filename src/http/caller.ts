import type { Request, Response } from 'express';
import type { Caller } from '../domain/key-management.js';
import type { Person } from '../domain/people/sessions.js';
import { ROLE_KEY_SCOPES } from '../domain/people/roles.js';
import { requestContext } from './locals.js';

/** The domain's view of whoever passed management auth: a key (its token's scopes) or a person (their role's). */
export function callerOf(req: Request, res: Response): Caller {
  const { claims, person } = res.locals;
  const context = requestContext(req, res);
  if (person) {
    return {
      orgId: person.orgId,
      actor: { type: 'user', id: person.user.id, email: person.user.email },
      scopes: ROLE_KEY_SCOPES[person.role],
      context,
      person: { userId: person.user.id, role: person.role },
    };
  }
  if (!claims) throw new TypeError('management route without management auth');
  return { orgId: claims.orgId, actor: { type: 'key', id: claims.sub }, scopes: claims.scopes, context };
}

/** The signed-in person of a route whose auth is `session` (its middleware has made sure of one). */
export function personOf(res: Response): Person {
  const { person } = res.locals;
  if (!person) throw new TypeError('session route without a session');
  return person;
}
