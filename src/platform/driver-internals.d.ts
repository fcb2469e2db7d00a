// Parts of the drivers that publish no types of their own: knex's PostgreSQL dialect, which src/platform/pipelined.ts
// extends, and the value conversion `pg` applies to every parameter (src/projections/shared/sql.ts `preparedNow`).

declare module 'knex/lib/dialects/postgres/index.js' {
  import type { Knex } from 'knex';

  export default class ClientPg extends Knex.Client {}
}

declare module 'knex/lib/dialects/postgres/execution/pg-transaction.js' {
  export default class TransactionPg {
    constructor(client: unknown, container: unknown, config?: unknown, outerTx?: unknown);
    isolationLevel?: string;
    readOnly?: boolean;
    protected _rejecter(error: unknown): void;
    protected _completed: boolean;
    begin(connection: unknown): Promise<unknown>;
  }
}

declare module 'pg/lib/utils.js' {
  /** A parameter as `pg` sends it: text, a Buffer or null (Dates, arrays, objects converted); throws what it cannot. */
  export function prepareValue(value: unknown): string | Buffer | null;
}
