import { api, unwrap } from '../api/client';
import { ActiveSessions } from '../account/sessions';
import { PasswordForm } from '../account/password-form';
import { Profile } from '../account/profile';
import type { PageProps } from '../screens';
import { useSession } from '../session';
import { useLoad } from '../ui/use-load';
import '../ui/pages.css';

/** Everyone's own page: who they are, their password, their sessions. */
export function AccountPage(_props: PageProps) {
  const { session } = useSession();
  const sessions = useLoad(() => unwrap(api.GET('/v1/sessions')));
  if (!session) return null;
  return (
    <>
      <h1>Account</h1>
      <Profile session={session} />
      <PasswordForm onChanged={sessions.reload} />
      <ActiveSessions list={sessions} />
    </>
  );
}
