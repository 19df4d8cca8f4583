import type { PageProps } from '../screens';

// Placeholder: this screen is being built (issue 21).
export function SigningKeysPage(_props: PageProps) {
  return <h1>Signing keys</h1>;
}
