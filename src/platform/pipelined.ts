import type { Knex } from 'knex';
import ClientPg from 'knex/lib/dialects/postgres/index.js';
import TransactionPg from 'knex/lib/dialects/postgres/execution/pg-transaction.js';

/**
 * `pg`'s pipeline mode for knex's connections: a statement is sent at once, without waiting for the answer to the one
 * before; the server still runs them one after the other, in the order sent. Statements awaited one by one run as
 * before. A transaction's `BEGIN` is not waited for (`PipelinedPostgres`), and a projector batch asks for its next
 * statement before the answer to the last is back where it can (`preparedNow`), saving round trips. Pipeline mode
 * refuses cursors and query streams, which nothing here uses.
 */
export const pipelined = (connection: Knex.PgConnectionConfig): Knex.PgConnectionConfig =>
  // knex hands the whole object to `new pg.Client()`; its types do not know the option.
  ({ ...connection, pipeline: true }) as Knex.PgConnectionConfig;

/** A `pg` client as knex's transaction holds it. */
interface PgConnection {
  pipeline?: boolean;
  /** knex's mark of a connection the pool must not hand out again. */
  __knex__disposed?: unknown;
  query(text: string): Promise<unknown>;
}

/**
 * knex's PostgreSQL transaction, whose plain `BEGIN` is not waited for on a connection in pipeline mode: it is given
 * to the connection before the transaction's first statement is asked for, so that statement goes out right behind
 * it and runs inside the transaction. A `BEGIN` that fails (the connection broke) fails the transaction, and the
 * statements behind it fail too. Other transactions (an isolation level, read only, nested ones) are knex's own.
 */
class PipelinedBeginTransaction extends TransactionPg {
  override begin(connection: PgConnection): Promise<unknown> {
    if (!connection.pipeline || this.isolationLevel || this.readOnly) return super.begin(connection);
    connection.query('BEGIN;').catch((error: unknown) => {
      // As knex does when a transaction's query fails: nothing more goes out on it, and the pool drops the connection.
      this._completed = true;
      connection.__knex__disposed = error;
      this._rejecter(error);
    });
    return Promise.resolve();
  }
}

/** knex's PostgreSQL client, with `PipelinedBeginTransaction`: the `client` of a knex whose connection is `pipelined`. */
export class PipelinedPostgres extends ClientPg {
  override transaction(container: unknown, config: unknown, outerTx: unknown): Knex.Transaction {
    return new PipelinedBeginTransaction(this, container, config, outerTx) as unknown as Knex.Transaction;
  }
}
