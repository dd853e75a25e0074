import { formatValue } from "../lib/compare";
import { TableHead } from "./TableHead";

/** The head of a table (columns and rows as the API sends them), scrolling in its box. */
export function RowsTable({ label, columns, rows }: { label: string; columns: string[]; rows: unknown[][] }) {
  return (
    <div className="table-wrap" style={{ maxHeight: 360 }}>
      <table aria-label={label}>
        <TableHead columns={columns} />
        <tbody>
          {rows.map((row, i) => (
            <tr key={i}>
              {row.map((cell, j) => (
                <td key={j} className={typeof cell === "number" ? "num" : undefined}>
                  {formatValue(cell)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
