import { decodeCursor } from '../shared/cursor';
import { isUuid } from '../shared/ids';
import type { PageRequest } from '../shared/page';

/** The organization id after which a page of a user's organizations (or memberships) starts. */
export const afterOrganization = (request: PageRequest, ordering: string): string | null => {
  if (!request.cursor) return null;
  const [id] = decodeCursor(request.cursor, ordering, (key) => key.length === 1 && isUuid(key[0]));
  return id as string;
};
