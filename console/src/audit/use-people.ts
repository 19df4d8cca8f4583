import { api, unwrap } from '../api/client';
import { can, useSession } from '../session';
import { useLoad } from '../ui/use-load';
import type { People } from './event-row';

/** The org's members by ID, for naming actors; empty when the reader may not list members. */
export function usePeople(): People {
  const { session } = useSession();
  const allowed = can(session, 'members:read');
  const { data } = useLoad(async () => {
    if (!allowed) return new Map<string, string>();
    const members = await unwrap(api.GET('/v1/members'));
    return new Map(members.data.map((m) => [m.user_id, `${m.name} <${m.email}>`]));
  }, [allowed]);
  return data ?? new Map();
}
