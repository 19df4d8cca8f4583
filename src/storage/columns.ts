/** The row type a column map describes: each model field under its column name. */
export type RowOf<M, C extends { [K in keyof M]: string }> = { [K in keyof M as C[K]]: M[K] };

/**
 * A model's fields → their columns: the one map both conversions are made from, so a new column is a
 * migration, a field and one entry here (and the wire view, if callers may see it).
 */
export const columnMap =
  <M extends object>() =>
  // Curried so the model type is given and the column names inferred as literals.
  <const C extends { [K in keyof M]-?: string }>(columns: C) => {
    const pairs = Object.entries(columns) as Array<[keyof M & string, string]>;
    return {
      columns,
      toModel: (row: RowOf<M, C>): M => {
        const r = row as Record<string, unknown>;
        return Object.fromEntries(pairs.map(([field, column]) => [field, r[column]])) as M;
      },
      /** The columns of the fields that are set (all of them for a whole model). */
      toRow: (model: Partial<M>): Partial<RowOf<M, C>> => {
        const row: Record<string, unknown> = {};
        for (const [field, column] of pairs) if (model[field] !== undefined) row[column] = model[field];
        return row as Partial<RowOf<M, C>>;
      },
    };
  };
