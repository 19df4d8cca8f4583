import type { PageProps } from '../screens';

// Placeholder: this screen is being built (issue 21).
export function SetupPage(_props: PageProps) {
  return <h1>Set up scope-auth</h1>;
}
