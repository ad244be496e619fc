/** A row as better-sqlite3 reads it, or takes named parameters. */
export type Row = Record<string, unknown>;

/**
 * Records to rows and back, for a table whose columns are the record's fields in snake_case
 * (instanceId ↔ instance_id). Every field is named once, so a field added to the record and not
 * here fails to compile.
 */
export class RowMapping<R extends object> {
  private readonly fields: (keyof R & string)[];
  /** The columns, in the order the fields were given. */
  readonly columns: string[];

  constructor(fields: Record<keyof R & string, true>) {
    this.fields = Object.keys(fields) as (keyof R & string)[];
    this.columns = this.fields.map((field) => field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`));
  }

  toRow(record: R): Row {
    return Object.fromEntries(this.fields.map((field, i) => [this.columns[i], record[field]]));
  }

  fromRow(row: Row): R {
    return Object.fromEntries(this.fields.map((field, i) => [field, row[this.columns[i]]])) as R;
  }

  /** INSERT of a whole record (named parameters) that replaces every other column where `key` is taken. */
  upsertSql(table: string, key: keyof R & string): string {
    const keyColumn = this.columns[this.fields.indexOf(key)];
    const updates = this.columns.filter((column) => column !== keyColumn).map((column) => `${column} = excluded.${column}`);
    return (
      `INSERT INTO ${table} (${this.columns.join(', ')}) VALUES (${this.columns.map((column) => `@${column}`).join(', ')}) ` +
      `ON CONFLICT(${keyColumn}) DO UPDATE SET ${updates.join(', ')}`
    );
  }
}
