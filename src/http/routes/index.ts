import type { Route } from '../route.js';
import { accountRoutes } from './account.js';
import { auditRoutes } from './audit-events.js';
import { discoveryRoutes } from './discovery.js';
import { healthRoutes } from './health.js';
import { invitationRoutes } from './invitations.js';
import { keyRoutes } from './keys.js';
import { metricsRoutes } from './metrics.js';
import { memberRoutes } from './members.js';
import { oauthRoutes } from './oauth.js';
import { orgRoutes } from './org.js';
import { resourceRoutes } from './resources.js';
import { revocationRoutes } from './revocations.js';
import { sessionRoutes } from './session.js';
import { signingKeyRoutes } from './signing-keys.js';
import { ssoRoutes } from './sso.js';
import { tokenRoutes } from './token.js';
import { usageRoutes } from './usage.js';

/** Every endpoint, in mounting order: the token exchange first, since it is the hot path. */
export const routes: readonly Route[] = [
  ...tokenRoutes,
  ...healthRoutes,
  ...discoveryRoutes,
  ...oauthRoutes,
  ...keyRoutes,
  ...auditRoutes,
  ...usageRoutes,
  ...sessionRoutes,
  ...accountRoutes,
  ...ssoRoutes,
  ...memberRoutes,
  ...invitationRoutes,
  ...resourceRoutes,
  ...orgRoutes,
  ...signingKeyRoutes,
  ...revocationRoutes,
  ...metricsRoutes,
];
