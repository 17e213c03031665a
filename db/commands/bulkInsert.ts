// Many rows of one table in one transaction without building a query per row: one statement,
// prepared once for the columns the rows carry, run per row with the values converted the way
// drizzle converts them (dates to milliseconds, booleans to 0/1, JSON modes to text). An alert
// storm writes thousands of alerts and audit rows at once; drizzle's builder costs more per row
// than SQLite does.
import { getTableColumns, getTableName, type Table } from 'drizzle-orm';
import type { Db } from '../client.ts';

/** Inserts `rows` (all with the same keys, every NOT NULL column without a default among them). */
export function bulkInsert<T extends Table>(db: Db, table: T, rows: ReadonlyArray<T['$inferInsert']>): void {
  if (rows.length === 0) return;
  const columns = getTableColumns(table);
  const keys = Object.keys(rows[0]).filter((k) => k in columns);
  const statement = db.$client.prepare(
    `INSERT INTO "${getTableName(table)}" (${keys.map((k) => `"${columns[k].name}"`).join(', ')}) VALUES (${keys.map(() => '?').join(', ')})`,
  );
  for (const row of rows) {
    const record = row as Record<string, unknown>;
    statement.run(
      keys.map((k) => {
        const value = record[k];
        return value === null || value === undefined ? null : columns[k].mapToDriverValue(value);
      }),
    );
  }
}
