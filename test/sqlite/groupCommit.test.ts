import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GroupCommit } from '../../local/sqlite/GroupCommit';
import { openDatabase } from '../../local/sqlite/openDatabase';

const SCHEMA = {
  what: 'The test data',
  version: 1,
  sql: 'CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, label TEXT NOT NULL UNIQUE)',
};

describe('GroupCommit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetwave-groupcommit-'));
  let db: Database.Database;
  let commits: GroupCommit;
  let fileCounter = 0;
  const insert = (label: string) => () => void db.prepare('INSERT INTO items (label) VALUES (?)').run(label);
  const labels = () => (db.prepare('SELECT label FROM items ORDER BY id').all() as { label: string }[]).map((row) => row.label);
  /** What another connection to the same file sees: only what is committed. */
  const committedLabels = () => {
    const other = new Database(join(dir, `items-${fileCounter}.sqlite`), { readonly: true });
    try {
      return (other.prepare('SELECT label FROM items ORDER BY id').all() as { label: string }[]).map((row) => row.label);
    } finally {
      other.close();
    }
  };

  beforeEach(() => {
    db = openDatabase(join(dir, `items-${++fileCounter}.sqlite`), SCHEMA);
    commits = new GroupCommit(db);
  });
  afterEach(() => db.close());
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('the writes of one turn commit together on the next, in the order they were added', async () => {
    commits.add(insert('a'));
    const first = commits.committed();
    commits.add(insert('b'));
    commits.add(insert('c'));
    const last = commits.committed();
    expect(committedLabels()).toEqual([]);
    await Promise.all([first, last]);
    expect(committedLabels()).toEqual(['a', 'b', 'c']);
  });

  test('a failed write rolls back its whole batch and rejects every waiter of it; the next batch is unaffected', async () => {
    commits.add(insert('kept'));
    await commits.committed();
    commits.add(insert('x'));
    const before = commits.committed();
    commits.add(insert('y'));
    commits.add(insert('kept')); // UNIQUE violation: the batch fails here, after x and y ran
    const after = commits.committed();
    const outcomes = await Promise.allSettled([before, after]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    for (const outcome of outcomes)
      expect((outcome as PromiseRejectedResult).reason.message).toMatch(/UNIQUE constraint failed: items.label/);
    expect(labels()).toEqual(['kept']);
    commits.add(insert('z'));
    await commits.committed();
    expect(committedLabels()).toEqual(['kept', 'z']);
  });

  test('flush() commits at once, so a read right after sees every write added before it', () => {
    commits.add(insert('a'));
    commits.add(insert('b'));
    commits.flush();
    expect(committedLabels()).toEqual(['a', 'b']);
  });

  test("waiters settle after flush() returns, never inside its caller's code", async () => {
    const order: string[] = [];
    commits.add(insert('a'));
    const settled = commits.committed().then(() => order.push('waiter'));
    commits.flush();
    order.push('after flush');
    await settled;
    expect(order).toEqual(['after flush', 'waiter']);
  });

  test('transaction() runs after the pending writes, in a transaction of its own', () => {
    commits.add(insert('pending'));
    const count = commits.transaction(() => {
      insert('direct')();
      return labels().length;
    });
    expect(count).toBe(2);
    expect(committedLabels()).toEqual(['pending', 'direct']);
    expect(() => commits.transaction(insert('direct'))).toThrow(/UNIQUE constraint failed/);
    expect(committedLabels()).toEqual(['pending', 'direct']);
  });

  test('committed() with nothing pending resolves at once; a flushed batch does not commit again on the next turn', async () => {
    await expect(commits.committed()).resolves.toBeUndefined();
    let runs = 0;
    commits.add(() => {
      runs++;
      insert('once')();
    });
    commits.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toBe(1);
    expect(committedLabels()).toEqual(['once']);
  });
});
