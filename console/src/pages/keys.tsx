import type { PageProps } from '../screens';

// Placeholder: this screen is being built (issue 21).
export function KeysPage(_props: PageProps) {
  return <h1>API keys</h1>;
}
