import { useState } from 'preact/hooks';

/**
 * A "Copy" button for a value. Its name never changes (it must contain its visible text, and outside
 * tests find it by name); "Copied" is announced beside it for a moment, for keyboard and screen-reader users.
 */
export function CopyButton({ value, label = 'Copy' }: { value: string; label?: string }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    await navigator.clipboard.writeText(value);
    setDone(true);
    setTimeout(() => setDone(false), 2000);
  };
  return (
    <>
      <button type="button" class="secondary" onClick={() => void copy()} aria-label={label === 'Copy' ? undefined : label}>
        Copy
      </button>
      <span class="copy-status" role="status">
        {done ? 'Copied' : ''}
      </span>
    </>
  );
}
