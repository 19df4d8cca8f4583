import type { PageProps } from '../screens';

// Placeholder: this screen is being built (issue 21).
export function MembersPage(_props: PageProps) {
  return <h1>Members</h1>;
}
