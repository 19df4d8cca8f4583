import type { ComponentChildren } from 'preact';
import { ScrollArea } from './scroll-area';
import { SkeletonRows } from './skeleton';
import { TableHead } from './table-head';

type Props = {
  /** Names the scroll region for screen readers. */
  label: string;
  /** Read by screen readers only; the page heading says it for everyone else. */
  caption?: string;
  columns: readonly (ComponentChildren | false)[];
  busy?: boolean;
  /** Placeholder rows shown instead of the rows while there is nothing to show yet (false: the rows). */
  placeholder?: number | false;
  children: ComponentChildren;
};

/** A list as a table: its own sideways scroll, column headings, placeholder rows while it loads. */
export function DataTable({ label, caption, columns, busy, placeholder = false, children }: Props) {
  return (
    <ScrollArea label={label}>
      <table aria-busy={busy}>
        {caption && <caption class="visually-hidden">{caption}</caption>}
        <TableHead columns={columns} />
        <tbody>
          {placeholder === false ? children : <SkeletonRows rows={placeholder} columns={columns.filter((c) => c !== false).length} />}
        </tbody>
      </table>
    </ScrollArea>
  );
}
