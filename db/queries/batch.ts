// Helpers for loading a batch of rows with their children in a few queries.

/** SQLite limits bound parameters; large id lists are queried in parts of 500. */
export function chunked<T>(ids: string[], query: (part: string[]) => T[]): T[] {
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += 500) out.push(...query(ids.slice(i, i + 500)));
  return out;
}

export function groupBy<T>(rows: T[], key: (row: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const list = map.get(k);
    if (list) list.push(row);
    else map.set(k, [row]);
  }
  return map;
}
