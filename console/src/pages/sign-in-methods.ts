import { useEffect, useState } from 'preact/hooks';

/** Whether single sign-on is configured (public GET /v1/session/methods); false until known or on error. */
export function useSsoAvailable(): boolean {
  const [sso, setSso] = useState(false);
  useEffect(() => {
    fetch('/v1/session/methods', { credentials: 'same-origin' })
      .then(async (r) => (r.ok ? ((await r.json()) as { sso?: unknown }) : {}))
      .then((m) => setSso(m.sso === true))
      .catch(() => setSso(false));
  }, []);
  return sso;
}
