import createClient, { type Middleware } from 'openapi-fetch';
import type { components, operations, paths } from './schema';

export type Schemas = components['schemas'];

/** An answer from the API in its one error shape: the code for logic, the description for people. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    description: string,
  ) {
    super(description);
  }
}

let csrfToken: string | undefined;
/** The session's CSRF token, sent as X-CSRF-Token on every request that changes something. */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

const listeners = new Set<() => void>();
/** Called when the API says the session is gone (expired, signed out elsewhere). */
export function onSessionLost(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const csrf: Middleware = {
  onRequest({ request }) {
    if (request.method !== 'GET' && request.method !== 'HEAD' && csrfToken) request.headers.set('X-CSRF-Token', csrfToken);
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });
api.use(csrf);

type Result<T> = { data?: T; error?: unknown; response: Response };

/** The data of a successful answer, or an ApiError carrying the API's `error_description`. */
export async function unwrap<T>(pending: Promise<Result<T>>): Promise<T> {
  const { data, error, response } = await pending.catch((cause: unknown) => {
    throw new ApiError(0, 'network', `Could not reach the service (${String(cause)}).`);
  });
  if (response.ok) return data as T;
  const body = (error ?? {}) as { error?: string; error_description?: string };
  if (response.status === 401 && body.error !== 'invalid_credentials') for (const l of listeners) l();
  throw new ApiError(response.status, body.error ?? 'http_error', body.error_description ?? `The service answered ${response.status}.`);
}

/** The JSON body an operation answers with on success, e.g. `Answer<'listKeys'>`. */
export type Answer<K extends keyof operations, S extends number = 200> =
  operations[K]['responses'] extends Record<S, { content: { 'application/json': infer T } }> ? T : never;
