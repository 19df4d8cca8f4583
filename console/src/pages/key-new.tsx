import type { PageProps } from '../screens';

// Placeholder: this screen is being built (issue 21).
export function KeyNewPage(_props: PageProps) {
  return <h1>Create API key</h1>;
}
