import type { PageProps } from '../screens';

// Placeholder: this screen is being built (issue 21).
export function ResourcesPage(_props: PageProps) {
  return <h1>Resources</h1>;
}
