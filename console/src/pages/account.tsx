import type { PageProps } from '../screens';

// Placeholder: this screen is being built (issue 21).
export function AccountPage(_props: PageProps) {
  return <h1>Account</h1>;
}
