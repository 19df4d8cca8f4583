import { useEffect, useState } from 'preact/hooks';
import { api, unwrap } from '../api/client';

/** Whether single sign-on is configured (public GET /v1/session/methods); false until known or on error. */
export function useSsoAvailable(): boolean {
  const [sso, setSso] = useState(false);
  useEffect(() => {
    unwrap(api.GET('/v1/session/methods'))
      .then((methods) => setSso(methods.sso))
      .catch(() => setSso(false));
  }, []);
  return sso;
}
