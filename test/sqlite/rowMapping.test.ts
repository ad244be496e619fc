import Database from 'better-sqlite3';
import { RowMapping } from '../../local/sqlite/RowMapping';

interface Widget {
  widgetId: string;
  displayName: string | null;
  sizeInMm: number;
}

const WIDGET = new RowMapping<Widget>({ widgetId: true, displayName: true, sizeInMm: true });

describe('RowMapping', () => {
  test('columns are the fields in snake_case, and records round-trip through a real table', () => {
    expect(WIDGET.columns).toEqual(['widget_id', 'display_name', 'size_in_mm']);
    const db = new Database(':memory:');
    db.exec('CREATE TABLE widgets (widget_id TEXT PRIMARY KEY, display_name TEXT, size_in_mm INTEGER NOT NULL)');
    const upsert = db.prepare(WIDGET.upsertSql('widgets', 'widgetId'));
    upsert.run(WIDGET.toRow({ widgetId: 'w1', displayName: 'first', sizeInMm: 3 }));
    upsert.run(WIDGET.toRow({ widgetId: 'w2', displayName: null, sizeInMm: 5 }));
    upsert.run(WIDGET.toRow({ widgetId: 'w1', displayName: 'renamed', sizeInMm: 4 }));
    const rows = db.prepare('SELECT * FROM widgets ORDER BY widget_id').all() as Record<string, unknown>[];
    expect(rows.map((row) => WIDGET.fromRow(row))).toEqual([
      { widgetId: 'w1', displayName: 'renamed', sizeInMm: 4 },
      { widgetId: 'w2', displayName: null, sizeInMm: 5 },
    ]);
    db.close();
  });
});
