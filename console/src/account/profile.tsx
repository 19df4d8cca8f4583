import type { Session } from '../session';

/** Who is signed in, where, and as what. */
export function Profile({ session }: { session: Session }) {
  return (
    <section aria-labelledby="profile-title">
      <h2 id="profile-title">Profile</h2>
      <dl class="profile-facts">
        <dt>Name</dt>
        <dd>{session.user.name}</dd>
        <dt>Email</dt>
        <dd class="mono">{session.user.email}</dd>
        <dt>Role</dt>
        <dd>{session.role}</dd>
        <dt>Organisation</dt>
        <dd>
          {session.org.name} <span class="mono muted">{session.org.id}</span>
        </dd>
      </dl>
    </section>
  );
}
