import { type ReactNode, useEffect, useId, useRef } from "react";

/** A modal question (the browser's <dialog>): Cancel, or the confirming action. Escape cancels. */
export function ConfirmDialog({
  open,
  title,
  confirm,
  busy = false,
  onConfirm,
  onCancel,
  children,
}: {
  open: boolean;
  title: string;
  /** The confirming button's words ("Roll back"). */
  confirm: string;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const heading = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className="confirm-dialog"
      aria-labelledby={heading}
      onCancel={(e) => {
        e.preventDefault(); // Escape: the caller closes it, so its state stays the truth
        onCancel();
      }}
    >
      <h2 id={heading}>{title}</h2>
      <div>{children}</div>
      <div className="row">
        <span className="spacer" />
        <button type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
        <button type="button" className="primary" onClick={onConfirm} disabled={busy}>
          {busy ? `${confirm}…` : confirm}
        </button>
      </div>
    </dialog>
  );
}
