// knex's own PostgreSQL dialect, which src/platform/pipelined.ts extends; knex publishes no types for these files.

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
    begin(connection: unknown): Promise<unknown>;
  }
}
