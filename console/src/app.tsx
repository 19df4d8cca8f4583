import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { match, navigate, useLocation } from './router';
import { SCREENS, type Screen } from './screens';
import { can, useSession, type Session } from './session';
import { Link } from './ui/link';
import { Loading } from './ui/states';

function find(path: string): { screen: Screen; params: Record<string, string> } | undefined {
  for (const screen of SCREENS) {
    const params = match(screen.path, path);
    if (params) return { screen, params };
  }
  return undefined;
}

/** Where a person lands: the first screen of the navigation their role may see. */
export function homeOf(session: Session): string {
  return SCREENS.find((s) => s.nav && (!s.permission || can(session, s.permission)))?.path ?? '/account';
}

function Navigation({ session, path }: { session: Session; path: string }) {
  const { signOut } = useSession();
  return (
    <header class="top">
      <div class="org">
        <strong>scope-auth</strong> <span>{session.org.name}</span>
      </div>
      <nav aria-label="Main">
        <ul>
          {SCREENS.filter((s) => s.nav && (!s.permission || can(session, s.permission))).map((s) => (
            <li key={s.path}>
              <Link to={s.path} aria-current={path === s.path || path.startsWith(`${s.path}/`) ? 'page' : undefined}>
                {s.nav}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <button type="button" class="secondary" onClick={() => void signOut().then(() => navigate('/sign-in'))}>
        Sign out
      </button>
    </header>
  );
}

export function App() {
  const { path } = useLocation();
  const { session } = useSession();
  const heading = useRef<HTMLDivElement>(null);
  const found = find(path);

  useEffect(() => {
    document.title = found ? `${found.screen.title} · scope-auth` : 'scope-auth';
    // Moving focus to the new screen tells keyboard and screen-reader users that it changed.
    heading.current?.focus();
  }, [path]);

  useEffect(() => {
    if (session === undefined) return;
    if (session === null && !found?.screen.public) navigate('/sign-in', { replace: true });
    else if (session && (path === '/' || path === '/sign-in')) navigate(homeOf(session), { replace: true });
  }, [session, path]);

  if (session === undefined) return <Loading />;
  if (!found) return <Shell session={session} path={path} heading={heading} title="Not found" body={<p>There is no such page.</p>} />;
  const { screen, params } = found;
  if (!screen.public && !session) return <Loading />;
  if (screen.permission && !can(session, screen.permission))
    return (
      <Shell
        session={session}
        path={path}
        heading={heading}
        title={screen.title}
        body={
          <p role="alert">
            You do not have access to this page: your role ({session?.role}) does not include {screen.permission}.
          </p>
        }
      />
    );
  const Page = screen.page;
  return <Shell session={session} path={path} heading={heading} body={<Page params={params} />} />;
}

type ShellProps = {
  session: Session | null;
  path: string;
  heading: { current: HTMLDivElement | null };
  title?: string;
  body: ComponentChildren;
};

function Shell({ session, path, heading, title, body }: ShellProps) {
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      {session && <Navigation session={session} path={path} />}
      <main id="main" tabIndex={-1} ref={heading}>
        {title && <h1>{title}</h1>}
        {body}
      </main>
    </>
  );
}
