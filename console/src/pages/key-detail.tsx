import type { PageProps } from '../screens';

// Placeholder: this screen is being built (issue 21).
export function KeyDetailPage(_props: PageProps) {
  return <h1>API key</h1>;
}
