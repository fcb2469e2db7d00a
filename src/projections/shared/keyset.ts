import type { Knex } from 'knex';

/**
 * Keyset pages over several scopes (a caller's organizations) without a sort: one branch per scope value, each
 * an index range scan in the list's order, merged by PostgreSQL's Merge Append and cut at the limit.
 */
export interface Fragment {
  sql: string;
  bindings: Knex.RawBinding[];
}

export const fragment = (sql: string, ...bindings: Knex.RawBinding[]): Fragment => ({ sql, bindings });

export const and = (parts: readonly Fragment[]): Fragment => ({
  sql: parts.map((p) => `(${p.sql})`).join(' AND ') || 'TRUE',
  bindings: parts.flatMap((p) => p.bindings),
});

/**
 * `SELECT <columns> FROM (<branch per scope> UNION ALL …) ORDER BY <order> LIMIT n`, each branch itself ordered
 * and limited; one scope needs no union.
 */
export const mergedBranches = (options: {
  branches: readonly Fragment[];
  /** Selected inside each branch; must include the ordering columns. */
  innerColumns: string;
  /** Selected from the merged rows (alias `page`). */
  outerColumns: string;
  from: string;
  /** Unqualified columns, valid both inside a branch and over the merged rows. */
  orderBy: string;
  limit: number;
}): Fragment => {
  const { branches, innerColumns, outerColumns, from, orderBy, limit } = options;
  const branch = (where: Fragment) => ({
    sql: `SELECT ${innerColumns} FROM ${from} WHERE ${where.sql} ORDER BY ${orderBy} LIMIT ?`,
    bindings: [...where.bindings, limit],
  });
  const parts = branches.map(branch);
  const union = parts.map((p) => `(${p.sql})`).join(' UNION ALL ');
  return {
    sql: `SELECT ${outerColumns} FROM (${union}) AS page ORDER BY ${orderBy} LIMIT ?`,
    bindings: [...parts.flatMap((p) => p.bindings), limit],
  };
};
