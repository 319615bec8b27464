/** One page of a keyset listing: its rows and the cursor of the next page (null on the last). */
export type TPage<T> = { data: T[]; pagination: { limit: number; next_cursor: string | null } };

/**
 * Keyset paging, written once: asks the repository for one row more than the page holds; that extra
 * row only says whether a next page exists, and the cursor is the position of the page's last row.
 */
export async function keysetPage<T>(
  limit: number,
  fetch: (take: number) => Promise<T[]>,
  cursorOf: (last: T) => string,
): Promise<TPage<T>> {
  const rows = await fetch(limit + 1);
  const data = rows.slice(0, limit);
  return { data, pagination: { limit, next_cursor: rows.length > limit ? cursorOf(data.at(-1)!) : null } };
}

/** The `<time>~<id>` cursor most listings use (a timestamp and a tie-breaking id). */
export const timeCursor = (at: string, id: string | number): string => `${at}~${id}`;
