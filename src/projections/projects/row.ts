/** A row of the projects table as the queries read it. */
export interface ProjectRow {
  id: string;
  organization_id: string;
  name: string;
  description: string;
  created_at: Date;
  updated_at: Date;
  archived: boolean;
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
  // The project stream's last applied revision: what makes a replayed event change nothing.
  revision: 'integer',
};

/** The columns of `ProjectRow`: all but the revision, which only the projection reads. */
export const PROJECT_COLUMNS = Object.keys(PROJECT_COLUMN_TYPES)
  .filter((column) => column !== 'revision')
  .join(', ');
