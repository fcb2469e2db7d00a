/** Read-model ids are `uuid` columns: anything else can match no row, and must not reach PostgreSQL as one. */
export { isUuid } from '../../shared/uuid';
