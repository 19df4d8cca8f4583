import { isIP } from 'node:net';

// Checks on how the server is reached and whom it trusts: TRUST_PROXY, CORS_ORIGINS, ISSUER against PORT.

function parseTrustProxy(value: string): boolean | number | string[] {
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^\d+$/.test(value)) return Number(value);
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

// express's names for address ranges it can trust as proxies.
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrCidr(value: string): boolean {
  const [address = '', prefix, extra] = value.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

export function trustProxyProblem(raw: string): string | undefined {
  const value = parseTrustProxy(raw);
  if (!Array.isArray(value)) return undefined;
  const bad = value.filter((v) => !PROXY_RANGE_NAMES.has(v) && !isAddressOrCidr(v));
  if (bad.length === 0) return undefined;
  return `${bad.map((v) => `"${v}"`).join(', ')} is not a proxy address; use false, a hop count (e.g. 1), or a comma-separated list of IP addresses, CIDRs (10.0.0.0/8) and loopback, linklocal or uniquelocal`;
}

export function corsOriginProblem(origins: string[]): string | undefined {
  const bad = origins.filter((o) => {
    try {
      const url = new URL(o);
      return (url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== o;
    } catch {
      return true;
    }
  });
  if (bad.length === 0) return undefined;
  return `${bad.map((v) => `"${v}"`).join(', ')} is not an origin; list origins as scheme://host[:port], with no path or trailing slash, separated by commas (e.g. https://app.example.com)`;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** In development, an ISSUER on this machine but another port than PORT: tokens would name a server that is not there. */
function issuerPortWarning(issuer: URL, port: number, nodeEnv: string): string | undefined {
  if (nodeEnv !== 'development' || !LOOPBACK_HOSTS.has(issuer.hostname)) return undefined;
  const issuerPort = Number(issuer.port || (issuer.protocol === 'https:' ? 443 : 80));
  if (issuerPort === port) return undefined;
  return `ISSUER (${issuer.origin}) names port ${issuerPort}, but the server listens on PORT=${port}: tokens and discovery will point elsewhere. Unset ISSUER to follow PORT, or make them agree.`;
}

const TRUST_ALL_PROXIES = 'trusts any X-Forwarded-For, so clients can forge their address (IP allowlists, rate limits, audit)';
const TRUST_PROXY_INSTEAD = "use the number of proxy hops (e.g. 1) or the proxies' addresses or CIDRs";

/** The parsed TRUST_PROXY; `true` lets clients forge their address: refused in production, a loud warning elsewhere. */
export function checkTrustProxy(raw: string, production: boolean, problems: string[], warnings: string[]): boolean | number | string[] {
  const trustProxy = parseTrustProxy(raw);
  if (trustProxy === true && production) problems.push(`TRUST_PROXY: "true" ${TRUST_ALL_PROXIES}; ${TRUST_PROXY_INSTEAD}`);
  else if (trustProxy === true)
    warnings.push(`TRUST_PROXY=true ${TRUST_ALL_PROXIES}: ${TRUST_PROXY_INSTEAD}. It is refused when NODE_ENV=production.`);
  return trustProxy;
}

/** The issuer (default http://localhost:$PORT): https and required in production; in development, warned if it names another local port. */
export function checkIssuer(issuer: string | undefined, port: number, nodeEnv: string, problems: string[], warnings: string[]): string {
  const production = nodeEnv === 'production';
  const issuerUrl = new URL(issuer ?? `http://localhost:${port}`);
  if (production && issuer !== undefined && issuerUrl.protocol !== 'https:')
    problems.push('ISSUER: must be https when NODE_ENV=production');
  if (issuer === undefined && production)
    problems.push('ISSUER: required when NODE_ENV=production (the https URL clients reach this service at)');
  const issuerWarning = issuerPortWarning(issuerUrl, port, nodeEnv);
  if (issuerWarning) warnings.push(issuerWarning);
  return (issuer ?? issuerUrl.origin).replace(/\/+$/, '');
}
