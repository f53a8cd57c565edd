// Small pieces every page uses: the API error as written, the phase badge, and the confirmation
// dialog every command goes through.
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { asApiError, type ApiError } from './api';

export function ErrorMessage({ error }: { error: ApiError | undefined }) {
  if (!error) return null;
  return (
    <p role="alert" className="error">
      {error.message}
      {error.status ? <span className="code"> ({error.status} {error.code})</span> : null}
    </p>
  );
}

export function Phase({ phase }: { phase: string | null }) {
  return <span className={`phase phase-${phase ?? 'none'}`}>{phase ?? 'never deployed'}</span>;
}

export interface Confirmation {
  /** The dialog's title, e.g. "Re-apply deploy 0193…?" */
  readonly title: string;
  readonly description: string;
  readonly confirmLabel: string;
  /** Inputs besides the reason (e.g. the commits of a deploy), each with its starting value. */
  readonly fields?: ReadonlyArray<{ readonly name: string; readonly label: string; readonly initial: string; readonly hint?: string }>;
  /** Runs the command; its ApiError is shown in the dialog as written, and the dialog stays open. */
  readonly run: (reason: string, values: Readonly<Record<string, string>>) => Promise<void>;
}

/** A modal <dialog> (Escape cancels, focus stays inside) asking for a reason before a command. */
export function ConfirmDialog({ confirmation, onClose }: { confirmation: Confirmation | null; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [values, setValues] = useState<Record<string, string>>({});
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (confirmation && !dialog.open) {
      setReason('');
      setValues(Object.fromEntries((confirmation.fields ?? []).map((f) => [f.name, f.initial])));
      setError(undefined);
      dialog.showModal();
    } else if (!confirmation && dialog.open) dialog.close();
  }, [confirmation]);
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (!confirmation) return;
    setBusy(true);
    try {
      await confirmation.run(reason, values);
      onClose();
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <dialog ref={ref} aria-labelledby="confirm-title" onClose={onClose}>
      <form onSubmit={(e) => void submit(e)}>
        <h2 id="confirm-title">{confirmation?.title}</h2>
        <p>{confirmation?.description}</p>
        {(confirmation?.fields ?? []).map((f) => (
          <div key={f.name} className="field">
            <label htmlFor={`confirm-${f.name}`}>{f.label}</label>
            <input id={`confirm-${f.name}`} value={values[f.name] ?? ''} onChange={(e) => setValues({ ...values, [f.name]: e.target.value })} required aria-describedby={f.hint ? `confirm-${f.name}-hint` : undefined} />
            {f.hint ? (
              <small id={`confirm-${f.name}-hint`} className="hint">
                {f.hint}
              </small>
            ) : null}
          </div>
        ))}
        <label htmlFor="confirm-reason">Reason</label>
        <input id="confirm-reason" value={reason} onChange={(e) => setReason(e.target.value)} maxLength={1000} autoFocus />
        <ErrorMessage error={error} />
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {confirmation?.confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}

export interface Column<T> {
  /** The header, and the label of the cell when a phone shows a row as a stack. */
  readonly label: string;
  readonly cell: (row: T) => ReactNode;
}

/** A table of rows; on a narrow screen each row stacks as label/value pairs (styles.css). */
export function Table<T>({ rows, columns, rowKey, rowData, labelledBy }: { rows: readonly T[]; columns: readonly Column<T>[]; rowKey: (row: T) => string; rowData?: (row: T) => Record<`data-${string}`, string>; labelledBy?: string }) {
  return (
    <div className="table">
      <table aria-labelledby={labelledBy}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.label} scope="col">
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)} {...rowData?.(row)}>
              {columns.map((c) => (
                <td key={c.label} data-label={c.label}>
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
