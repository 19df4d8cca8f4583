import { useState } from 'preact/hooks';
import { takeFragment } from '../router';

/** A one-time token from the address's #fragment, read once and removed from the address bar and history. */
export function useFragmentToken(name = 'token'): string {
  const [token] = useState(() => takeFragment().get(name) ?? '');
  return token;
}
