/** Placeholder rows while a table loads, so the page does not jump when the rows arrive. */
export function SkeletonRows({ rows = 5, columns }: { rows?: number; columns: number }) {
  return (
    <>
      {Array.from({ length: rows }, (_, r) => (
        <tr key={r} class="row-placeholder" aria-hidden="true">
          {Array.from({ length: columns }, (_, c) => (
            <td key={c}>
              <span class="row-placeholder-bar" />
            </td>
          ))}
        </tr>
      ))}
    </>
  );
}
