import type { Resource } from './resource-form';
import { ScrollArea } from '../ui/scroll-area';
import { TableHead } from '../ui/table-head';

type Props = { resource: Resource; canWrite: boolean; onEdit: () => void; onDelete: () => void };

/** One API of the org: its audience and the scopes keys may ask for, with what each allows. */
export function ResourceCard({ resource, canWrite, onEdit, onDelete }: Props) {
  const titleId = `res-${resource.id}`;
  return (
    <article class="card" aria-labelledby={titleId}>
      <div class="head-row">
        <h2 id={titleId}>{resource.name}</h2>
        {canWrite && (
          <div class="actions">
            <button type="button" class="secondary" aria-label={`Edit ${resource.name}`} onClick={onEdit}>
              Edit
            </button>
            <button type="button" class="secondary" aria-label={`Delete ${resource.name}`} onClick={onDelete}>
              Delete
            </button>
          </div>
        )}
      </div>
      <p>
        Audience: <code>{resource.audience}</code>
      </p>
      {resource.scopes.length === 0 ? (
        <p class="muted">No scopes declared.</p>
      ) : (
        <ScrollArea label={`Scopes of ${resource.name}`}>
          <table>
            <caption class="visually-hidden">Scopes of {resource.name}</caption>
            <TableHead columns={['Scope', 'Allows']} />
            <tbody>
              {resource.scopes.map((s) => (
                <tr key={s.name}>
                  <td>
                    <code>{s.name}</code>
                  </td>
                  <td>{s.description || <span class="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollArea>
      )}
    </article>
  );
}
