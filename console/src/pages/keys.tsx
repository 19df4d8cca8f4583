import { useEffect, useState } from 'preact/hooks';
import { api, unwrap } from '../api/client';
import { KeyFilters } from '../keys/filters';
import type { ApiKey } from '../keys/format';
import { apiQuery, keysUrl, nextPage, previousPage, readQuery } from '../keys/query';
import { KeyTable } from '../keys/table';
import { navigate, useLocation } from '../router';
import { can, useSession } from '../session';
import { Empty, ErrorMessage } from '../ui/states';

type Page = { data: ApiKey[]; next_cursor: string | null };

/** The org's keys (a developer's own: the API limits them), filtered and paged by cursor, never all at once. */
export function KeysPage() {
  const { session } = useSession();
  const { query: search } = useLocation();
  const query = readQuery(search);
  const url = keysUrl(query);
  const [page, setPage] = useState<{ url: string; page: Page }>();
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    let current = true;
    setError(undefined);
    unwrap(api.GET('/v1/keys', { params: { query: apiQuery(query) } }))
      .then((answer) => current && setPage({ url, page: answer }))
      .catch((err: unknown) => current && setError(err));
    return () => {
      current = false;
    };
  }, [url]);

  const loading = !error && page?.url !== url;
  const keys = loading ? undefined : page?.page.data;
  const filtered = url !== '/keys';
  return (
    <>
      <div class="page-head">
        <h1>API keys</h1>
        {can(session, 'keys:write') && (
          // A button, as DESIGN.md names it ("Create API key"); it opens the create form.
          <button type="button" class="push" onClick={() => navigate('/keys/new')}>
            Create API key
          </button>
        )}
      </div>
      <KeyFilters query={query} showOwner={can(session, 'keys:all')} />
      <ErrorMessage error={error} />
      {keys && keys.length === 0 ? (
        <Empty>
          {filtered ? (
            <p>No key matches these filters.</p>
          ) : (
            <p>No API keys yet. A key lets a program exchange its secret for short-lived tokens.</p>
          )}
        </Empty>
      ) : (
        !error && <KeyTable keys={keys} loading={loading} />
      )}
      <nav class="pager" aria-label="Pages">
        <button
          type="button"
          class="secondary"
          disabled={query.prev.length === 0 && !query.cursor}
          onClick={() => navigate(keysUrl(previousPage(query)))}
        >
          Previous page
        </button>
        <button
          type="button"
          class="secondary"
          disabled={loading || !page?.page.next_cursor}
          onClick={() => page?.page.next_cursor && navigate(keysUrl(nextPage(query, page.page.next_cursor)))}
        >
          Next page
        </button>
      </nav>
    </>
  );
}
