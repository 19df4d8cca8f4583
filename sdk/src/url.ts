/** Joins a base URL that may carry a path prefix (`https://host/auth`) with an absolute path. */
export function endpoint(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${path}`;
}

export function assertHttpUrl(value: string, name: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`${name} must be an absolute URL, got "${value}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError(`${name} must be an http(s) URL`);
  return value;
}

// 127.0.0.0/8 (the URL parser has already normalised shorthand such as `127.1`), `localhost` and `[::1]`.
const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;

/** Plain http to a host other than the loopback: anyone on the path can read and change what crosses it. */
function isInsecure(value: string): boolean {
  const url = new URL(value);
  return url.protocol === 'http:' && !LOOPBACK_HOST.test(url.hostname);
}

/**
 * One process warning (code `SCOPE_AUTH_INSECURE_URL`) naming every insecure URL of a client, so that
 * a forgotten `http://` shows up in the service's output. The SDK never logs to the console itself.
 * Only scheme, host and port are named: a URL's userinfo is a credential.
 */
export function warnIfInsecure(urls: Record<string, string>): void {
  const insecure = Object.entries(urls).filter(([, value]) => isInsecure(value));
  if (insecure.length === 0) return;
  const names = insecure.map(([name, value]) => `${name} (${new URL(value).origin})`).join(', ');
  process.emitWarning(
    `scope-auth: ${names}: plain http to a host other than localhost; API secrets, tokens, signing keys and revocations cross the network in clear and can be read or changed on the way: use https`,
    { code: 'SCOPE_AUTH_INSECURE_URL' },
  );
}
