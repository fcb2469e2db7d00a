import type { Knex } from 'knex';

/**
 * `search` as substring search: `search_text` is the title and the description folded (accents removed, lower
 * case), joined by a newline so that a term, which has no whitespace, never spans the two. A trigram GIN index
 * serves `LIKE '%term%'` of three characters or more. `issue_search_fold` folds the stored text and the terms
 * alike; it is IMMUTABLE (unaccent is only STABLE, as its dictionary could change), with the extension's schema
 * written out so it does not depend on the caller's search_path. Changing the unaccent rules or the database's
 * collation means reindexing and rewriting `search_text` (a read model rebuild does both).
 */
export const issueSearchMigration: Knex.Migration = {
  async up(knex) {
    await knex.raw(`
      CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
      CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;
      CREATE FUNCTION issue_search_fold(text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
        AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$;
      DROP INDEX issues_search;
      ALTER TABLE issues DROP COLUMN search;
      ALTER TABLE issues ADD COLUMN search_text text NOT NULL
        GENERATED ALWAYS AS (issue_search_fold(title || E'\\n' || description)) STORED;
      CREATE INDEX issues_search_trgm ON issues USING gin (search_text public.gin_trgm_ops);
    `);
  },
  async down(knex) {
    // The extensions stay: they may have been there before, and keeping them is harmless.
    await knex.raw(`
      DROP INDEX issues_search_trgm;
      ALTER TABLE issues DROP COLUMN search_text;
      DROP FUNCTION issue_search_fold(text);
      ALTER TABLE issues ADD COLUMN search tsvector NOT NULL GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, title), 'A') ||
        setweight(to_tsvector('english'::regconfig, description), 'B')
      ) STORED;
      CREATE INDEX issues_search ON issues USING gin (search);
    `);
  },
};
