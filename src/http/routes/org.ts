import { z } from 'zod';
import { changeOrgSettings, getOrgSettings, MAX_SSO_DOMAINS, type OrgSettings } from '../../domain/org-settings.js';
import { safeText } from '../../schemas.js';
import { callerOf } from '../caller.js';
import { bodyKind } from '../middleware/client-auth.js';
import { parse } from '../parse.js';
import type { Route } from '../route.js';

// A hostname of labels (RFC 1123), at least two, lowercase: no wildcards, no ports, no trailing dot.
const HOSTNAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const ssoDomain = z.string().max(253).regex(HOSTNAME, 'must be a lowercase hostname such as example.com (no wildcards)');

const orgSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    sso_domains: z.array(z.string()).describe('people with a verified email at these domains may join by single sign-on, as viewers'),
    created_at: z.string(),
  })
  .meta({ id: 'Organisation' });

const patchOrgBody = z
  .strictObject({
    name: safeText(100, { min: 1, trim: true }).optional(),
    sso_domains: z
      .array(ssoDomain)
      .max(MAX_SSO_DOMAINS)
      .transform((d) => [...new Set(d)])
      .optional()
      .describe('replaces the list; [] lets no one join by domain'),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to change' });

const orgView = (o: OrgSettings) => ({ id: o.id, name: o.name, sso_domains: o.ssoDomains, created_at: o.createdAt.toISOString() });

export const orgRoutes: Route[] = [
  {
    method: 'get',
    path: '/v1/org',
    operationId: 'getOrg',
    summary: "The caller's organisation and its settings (any member, or any management token)",
    tags: ['people'],
    auth: { kind: 'bearer', scopes: [], permission: 'org:read' },
    responses: { 200: { description: 'the organisation', schema: orgSchema } },
    errors: ['unavailable'],
    handler:
      ({ deps }) =>
      async (req, res) => {
        res.json(orgView(await getOrgSettings(deps, callerOf(req, res))));
      },
  },
  {
    method: 'patch',
    path: '/v1/org',
    operationId: 'updateOrg',
    summary:
      'Rename the organisation or set the email domains allowed to join by single sign-on (owners, signed in: no management scope covers org settings)',
    tags: ['people'],
    auth: { kind: 'session', permission: 'org:write' },
    request: { json: patchOrgBody, example: { sso_domains: ['example.com'] } },
    responses: { 200: { description: 'the organisation as it is now', schema: orgSchema } },
    errors: ['invalid_request', 'unavailable'],
    handler:
      ({ deps }) =>
      async (req, res) => {
        bodyKind(req, ['json']);
        const b = parse(patchOrgBody, req.body);
        const org = await changeOrgSettings(deps, callerOf(req, res), { name: b.name, ssoDomains: b.sso_domains });
        res.json(orgView(org));
      },
  },
];
