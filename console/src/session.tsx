import { createContext, type ComponentChildren } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import { api, onSessionLost, setCsrfToken, unwrap } from './api/client';

/** The signed-in person as the console needs them. */
export type Session = {
  user: { id: string; email: string; name: string };
  org: { id: string; name: string };
  role: 'owner' | 'admin' | 'developer' | 'viewer';
  permissions: readonly string[];
};

type State = {
  session: Session | null | undefined; // undefined while loading
  /** Why the last session ended, shown on the sign-in page. */
  notice?: string;
  /** After sign-in, setup or accepting an invitation: keep the CSRF token and load who signed in. */
  signedIn: (csrfToken: string) => Promise<void>;
  signOut: () => Promise<void>;
  refresh: () => Promise<void>;
};

const SessionContext = createContext<State | undefined>(undefined);

export function useSession(): State {
  const state = useContext(SessionContext);
  if (!state) throw new Error('useSession outside <SessionProvider>');
  return state;
}

/** May the signed-in person do this? The role table lives on the server; /v1/me lists the answer. */
export const can = (session: Session | null | undefined, permission: string): boolean => session?.permissions.includes(permission) ?? false;

export function SessionProvider({ children }: { children: ComponentChildren }) {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [notice, setNotice] = useState<string>();

  const refresh = async () => {
    try {
      const me = await unwrap(api.GET('/v1/me'));
      if (me.type !== 'user') return setSession(null);
      // A reload keeps the cookie but not the page's memory: /v1/me hands the session's CSRF token back.
      const csrf = 'csrf_token' in me ? (me.csrf_token as string | undefined) : undefined;
      if (csrf) setCsrfToken(csrf);
      setSession({ user: me.user, org: me.org, role: me.role, permissions: me.permissions });
    } catch {
      setSession(null);
    }
  };

  useEffect(() => {
    void refresh();
    return onSessionLost(() => {
      setCsrfToken(undefined);
      setNotice('Your session has ended. Sign in again.');
      setSession(null);
    });
  }, []);

  const state: State = {
    session,
    notice,
    refresh,
    signedIn: async (csrfToken) => {
      setCsrfToken(csrfToken);
      setNotice(undefined);
      await refresh();
    },
    signOut: async () => {
      await unwrap(api.DELETE('/v1/session')).catch(() => undefined);
      setCsrfToken(undefined);
      setSession(null);
    },
  };
  return <SessionContext.Provider value={state}>{children}</SessionContext.Provider>;
}
