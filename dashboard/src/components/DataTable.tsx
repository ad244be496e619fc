import type { ComponentChildren } from 'preact';

export interface Column<Row> {
  header: string;
  cell: (row: Row) => ComponentChildren;
  /** The column that names the row: its cells are row headers (<th scope="row">). */
  rowHeader?: boolean;
  class?: string;
}

/**
 * Every table of the dashboard: a header row, a row per item, inside its own horizontal scroller
 * (the page itself never scrolls sideways on a phone). The scroller is focusable and named, so
 * keyboard users can scroll it too (WCAG 2.1.1).
 */
export function DataTable<Row>({
  label,
  columns,
  rows,
  rowKey,
  class: tableClass,
}: {
  /** Names the table for screen readers (its caption) and its scroller. */
  label: string;
  columns: readonly Column<Row>[];
  rows: readonly Row[];
  rowKey: (row: Row, index: number) => string | number;
  class?: string;
}) {
  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-label={label}>
      <table class={tableClass}>
        <caption class="visually-hidden">{label}</caption>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column.header} scope="col">
                {column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, index) => (
            <tr key={rowKey(row, index)}>
              {columns.map((column) =>
                column.rowHeader ? (
                  <th key={column.header} scope="row" class={column.class}>
                    {column.cell(row)}
                  </th>
                ) : (
                  <td key={column.header} class={column.class}>
                    {column.cell(row)}
                  </td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
