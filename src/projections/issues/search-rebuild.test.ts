import { projectRoomsProjection } from '../project-rooms/projection';
import { indexesOf } from '../runner/rebuild/catalog';
import { rebuildProjection } from '../runner/rebuild/rebuild-projection';
import { useReadModelTestbed } from '../../../test/support/read-models/testbed';
import { listIssues } from './list';

describe('rebuilding the issues read model', () => {
  const bed = useReadModelTestbed('tt_rm_search_rebuild');
  let me: string;

  beforeAll(async () => {
    me = await bed.world.register('me');
    const acme = await bed.world.createOrganization(me, 'Acme');
    const apollo = await bed.world.createProject(me, acme, 'Apollo');
    await bed.world.createIssue(me, apollo, { title: 'Café login', description: 'Once a day' });
    await bed.world.createIssue(me, apollo, { title: 'Paint the tower' });
    await bed.catchUp();
  });

  const searchColumn = async () => {
    const { rows } = await bed.knex.raw<{ rows: { generated: string; expression: string }[] }>(
      `SELECT a.attgenerated AS generated, pg_get_expr(d.adbin, d.adrelid) AS expression
       FROM pg_attribute a JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE a.attrelid = 'issues'::regclass AND a.attname = 'search_text'`,
    );
    return rows;
  };

  it('keeps the folded search column and its trigram index, by name, and search still works', async () => {
    const indexesBefore = await indexesOf(bed.knex, 'issues');
    const columnBefore = await searchColumn();
    expect(indexesBefore).toContainEqual(
      expect.objectContaining({
        name: 'issues_search_trgm',
        shape: expect.stringMatching(/^USING gin \(search_text (public\.)?gin_trgm_ops\)$/),
      }),
    );
    expect(columnBefore).toEqual([
      { generated: 's', expression: expect.stringContaining('issue_search_fold') },
    ]);

    await rebuildProjection({ store: bed.store, knex: bed.knex, projection: projectRoomsProjection });

    expect(await indexesOf(bed.knex, 'issues')).toEqual(indexesBefore);
    expect(await searchColumn()).toEqual(columnBefore);
    const titles = async (search: string) =>
      (await listIssues(bed.knex, me, { search })).results.map((i) => i.title);
    expect(await titles('CAFE LOG once')).toEqual(['Café login']);
    expect(await titles('the')).toEqual(['Paint the tower']);
  });
});
