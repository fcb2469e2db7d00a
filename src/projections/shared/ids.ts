const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Read-model ids are `uuid` columns: anything else can match no row, and must not reach PostgreSQL as one. */
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);
