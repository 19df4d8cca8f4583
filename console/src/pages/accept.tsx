import type { PageProps } from '../screens';

// Placeholder: this screen is being built (issue 21).
export function AcceptPage(_props: PageProps) {
  return <h1>Accept invitation</h1>;
}
