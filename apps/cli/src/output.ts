import Table from 'cli-table3';

export interface Output {
  readonly json: boolean;
  write(text: string): void;
  /** A human table, or the rows as JSON with --json. */
  table<T>(rows: readonly T[], columns: ReadonlyArray<readonly [string, (row: T) => string | number | boolean | null | undefined]>, raw?: unknown): void;
  /** A value as JSON, or its human lines. */
  result(raw: unknown, human: () => string): void;
}

export function output(json: boolean, write: (text: string) => void): Output {
  return {
    json,
    write,
    table(rows, columns, raw) {
      if (json) return write(`${JSON.stringify(raw ?? rows, null, 2)}\n`);
      const table = new Table({
        head: columns.map(([name]) => name),
        style: { head: [], border: [], compact: true },
        chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ' },
      });
      for (const row of rows) table.push(columns.map(([, cell]) => show(cell(row))));
      write(`${rows.length ? table.toString() : '(none)'}\n`);
    },
    result(raw, human) {
      write(json ? `${JSON.stringify(raw, null, 2)}\n` : `${human()}\n`);
    },
  };
}

function show(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

export const short = (sha: string | null | undefined): string | null => (sha ? sha.slice(0, 7) : null);
