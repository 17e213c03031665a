import type Database from 'better-sqlite3';
import { PreparedQuery } from 'drizzle-orm/better-sqlite3/session';
import type { Query } from 'drizzle-orm';

/**
 * How many compiled statements a connection keeps (a constant; no setting changes it). The site's queries
 * are a few hundred distinct texts (an `IN (?, ?, …)` list makes one per length); the hot ones
 * (the write commands, `/`, the API, the publisher's families) are used again within seconds.
 */
export const DEFAULT_STATEMENT_CACHE = 500;

/**
 * Drizzle's better-sqlite3 session compiles every query again on every call
 * (`this.client.prepare(query.sql)` in `prepareQuery`): `prepare` was 6 % of an export's CPU,
 * and each compiled program (a few KB to tens of KB of native memory that V8 does not see) lived
 * until a garbage collection happened to finalize it, so a busy server churned the allocator
 * with thousands of them. This keeps the compiled statement per SQL text, most
 * recently used first, up to `max` of them; an evicted one is finalized when collected.
 *
 * Drizzle asks a statement for rows in two modes: as objects (a query without selected fields,
 * `db.all(sql…)`) and as arrays (`stmt.raw()`, everything built with `select`). A statement kept
 * here serves one mode, so the key says which, and the object mode is set again on each use
 * (`raw()` stays on once called). A statement busy in an iteration is never handed out twice:
 * such a call gets a statement of its own.
 */
export class StatementCache {
  private readonly statements = new Map<string, Database.Statement>();
  /** Compilations and reuses since the connection opened. */
  compiled = 0;
  reused = 0;

  private readonly sqlite: Database.Database;
  readonly max: number;

  constructor(sqlite: Database.Database, max: number = DEFAULT_STATEMENT_CACHE) {
    this.sqlite = sqlite;
    this.max = max;
  }

  get size(): number {
    return this.statements.size;
  }

  statement(sql: string, rows: 'objects' | 'arrays'): Database.Statement {
    const key = rows === 'arrays' ? `A${sql}` : `O${sql}`;
    const kept = this.statements.get(key);
    if (kept && !kept.busy) {
      this.statements.delete(key);
      this.statements.set(key, kept);
      this.reused++;
      if (rows === 'objects' && kept.reader) kept.raw(false);
      return kept;
    }
    const fresh = this.sqlite.prepare(sql);
    this.compiled++;
    if (kept) return fresh;
    if (this.max <= 0) return fresh;
    if (this.statements.size >= this.max) this.statements.delete(this.statements.keys().next().value!);
    this.statements.set(key, fresh);
    return fresh;
  }
}

type Args = ConstructorParameters<typeof PreparedQuery>;
/** The parts of drizzle-orm 0.45's BetterSQLiteSession this replaces and reads (private in its types). */
interface Session {
  client: Database.Database;
  logger: Args[2];
  cache: Args[3];
  prepareQuery(
    query: Query,
    fields: Args[6],
    executeMethod: Args[7],
    isResponseInArrayMode: Args[8],
    customResultMapper?: Args[9],
    queryMetadata?: Args[4],
    cacheConfig?: Args[5],
  ): PreparedQuery;
}
const caches = new WeakMap<object, StatementCache>();

/**
 * Makes `db` (and its transactions, which share its session) take compiled statements from a
 * cache of `max` per connection. Called by `openDatabase` once migrations ran (their one-off
 * texts would only push the hot ones out).
 */
export function cacheStatements(db: object, max = DEFAULT_STATEMENT_CACHE): StatementCache {
  const session = (db as unknown as { session: Session }).session;
  const cache = new StatementCache(session.client, max);
  const prepareQuery: Session['prepareQuery'] = function (
    this: Session,
    query,
    fields,
    executeMethod,
    isResponseInArrayMode,
    customResultMapper,
    queryMetadata,
    cacheConfig,
  ) {
    // The same construction as drizzle-orm 0.45's BetterSQLiteSession.prepareQuery, with the statement from the cache.
    const rows = fields || customResultMapper ? 'arrays' : 'objects';
    return new PreparedQuery(
      cache.statement(query.sql, rows),
      query,
      this.logger,
      this.cache,
      queryMetadata,
      cacheConfig,
      fields,
      executeMethod,
      isResponseInArrayMode,
      customResultMapper,
    );
  };
  session.prepareQuery = prepareQuery;
  caches.set(db, cache);
  return cache;
}

/** The statement cache of a connection opened by `openDatabase` (undefined for one made otherwise). */
export function statementCacheOf(db: object): StatementCache | undefined {
  return caches.get(db);
}
