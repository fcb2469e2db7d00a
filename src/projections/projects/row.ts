/** A row of the projects table as the queries read it. */
export interface ProjectRow {
  id: string;
  organization_id: string;
  name: string;
  description: string;
  created_at: Date;
  updated_at: Date;
  archived: boolean;
  /** Null for a row written before keys, until `project_rooms` is rebuilt. */
  key: string | null;
}

/** The projects table's columns with their types, for writing it (`insertRows`). */
export const PROJECT_COLUMN_TYPES = {
  id: 'uuid',
  organization_id: 'uuid',
  name: 'text',
  description: 'text',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
  archived: 'boolean',
  key: 'text',
  // The project stream's last applied revision: what makes a replayed event change nothing.
  revision: 'integer',
  // The highest number given to one of its issues (null: not known, for a row from before numbering).
  last_issue_number: 'integer',
};

/** The columns of `ProjectRow`: all but the revision and the issue count, which only the projection reads. */
export const PROJECT_COLUMNS = Object.keys(PROJECT_COLUMN_TYPES)
  .filter((column) => column !== 'revision' && column !== 'last_issue_number')
  .join(', ');
