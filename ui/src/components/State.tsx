import type { ReactNode } from "react";
import type { ApiError } from "../api";

export function Loading({ what = "Loading" }: { what?: string }) {
  return (
    <div className="state loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {what}…
    </div>
  );
}

export function ErrorBox({ error, title = "Something went wrong" }: { error: ApiError | Error | string; title?: string }) {
  const text = typeof error === "string" ? error : error.message;
  return (
    <div className="state error" role="alert">
      <strong>{title}:</strong> <span className="detail">{text}</span>
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="state empty">{children}</div>;
}

/** Loading / error / empty / content, in that order. */
export function Guard<T>({
  loaded,
  what,
  empty,
  isEmpty,
  children,
}: {
  loaded: { data: T | null; error: ApiError | null; loading: boolean };
  what: string;
  empty?: ReactNode;
  isEmpty?: (data: T) => boolean;
  children: (data: T) => ReactNode;
}) {
  if (loaded.error) return <ErrorBox error={loaded.error} title={`Could not load ${what}`} />;
  if (loaded.data === null) return loaded.loading ? <Loading what={`Loading ${what}`} /> : null;
  if (isEmpty && isEmpty(loaded.data)) return <Empty>{empty ?? `No ${what} yet.`}</Empty>;
  return <>{children(loaded.data)}</>;
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status-${status}`}>{status}</span>;
}
