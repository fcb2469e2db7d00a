import { sqlMigration } from '../../shared/sql-migration';

/**
 * `reaction_origins`: per reaction, the position of the log's head when the reaction first started. A reaction
 * folds every event into its own tables but acts (notifies, records a removal to process) only on events after
 * its origin: added to a deployment with history, it must not notify everyone about years of past changes, nor
 * release again what the API released itself before reactions existed.
 */
export const reactionOriginsMigration = sqlMigration(
  `
    CREATE TABLE reaction_origins (
      name text PRIMARY KEY,
      position text COLLATE "C" NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now()
    );
  `,
  'DROP TABLE IF EXISTS reaction_origins',
);
