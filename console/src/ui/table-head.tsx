import type { ComponentChildren } from 'preact';

/** A table's column headings: each a `scope="col"` header, so screen readers name the cells below. `false` leaves a column out. */
export function TableHead({ columns }: { columns: readonly (ComponentChildren | false)[] }) {
  return (
    <thead>
      <tr>
        {columns.map((c, i) =>
          c === false ? null : (
            <th key={i} scope="col">
              {c}
            </th>
          ),
        )}
      </tr>
    </thead>
  );
}
