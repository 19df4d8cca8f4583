import type { ComponentChildren } from 'preact';

/**
 * A wide table's own sideways scroll (the page body never scrolls sideways at 360 px). Focusable and
 * named, so keyboard users can scroll it too.
 */
export function ScrollArea({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-wrap" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
