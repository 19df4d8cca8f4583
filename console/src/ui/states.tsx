import type { ComponentChildren } from 'preact';
import { ApiError } from '../api/client';

/** The API's own words for what went wrong (its error_description), announced to screen readers. */
export function ErrorMessage({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  const text = error instanceof ApiError || error instanceof Error ? error.message : 'Something went wrong.';
  return (
    <p class="error" role="alert">
      {text}
    </p>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p class="loading" role="status" aria-live="polite">
      {label}
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>;
}
