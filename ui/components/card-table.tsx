import type { ComponentChildren } from 'preact';
import { Status } from './status.js';

/** Data attributes a row or table is selected by (tests, styles): `data-node="n1"`. */
export type DataAttrs = Record<`data-${string}`, string>;

/** A column: its header, which is also each cell's data-label (what a 360 px card shows). */
export interface Column<R> {
  label: string;
  cell: (row: R) => ComponentChildren;
}

/**
 * A list page's table, the same everywhere: the loading and error line, the text for no rows,
 * then a `table.cards` (rows turn into cards on a narrow screen, each cell labelled by its
 * column). Pages state only their columns and the buttons of the last, unlabelled cell.
 */
export function CardTable<R>({
  rows,
  columns,
  rowKey,
  rowData,
  actions,
  empty,
  err,
  status = true,
  data,
}: {
  /** undefined until the first answer: the loading line shows, the empty text does not. */
  rows: readonly R[] | undefined;
  columns: readonly Column<R>[];
  rowKey: (row: R) => string;
  rowData: (row: R) => DataAttrs;
  /** When given, a last cell (class "actions") in every row, though it may be empty. */
  actions?: (row: R) => ComponentChildren;
  /** Shown instead of rows when there are none; nothing when falsy. */
  empty?: ComponentChildren;
  err?: string | undefined;
  /** false where the page shows its own loading line. */
  status?: boolean;
  data?: DataAttrs;
}) {
  return (
    <>
      {status && <Status err={err} loading={!rows} />}
      {rows && rows.length === 0 && empty && <p>{empty}</p>}
      <table class="cards" {...data}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.label}>{c.label}</th>
            ))}
            {actions && <th />}
          </tr>
        </thead>
        <tbody>
          {(rows ?? []).map((r) => (
            <tr key={rowKey(r)} {...rowData(r)}>
              {columns.map((c) => (
                <td key={c.label} data-label={c.label}>
                  {c.cell(r)}
                </td>
              ))}
              {actions && <td class="actions">{actions(r)}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
