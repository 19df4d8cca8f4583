import type { PageProps } from '../screens';

// Placeholder: this screen is being built (issue 21).
export function AuditPage(_props: PageProps) {
  return <h1>Audit log</h1>;
}
