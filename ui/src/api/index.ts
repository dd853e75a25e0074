// The typed client of the Ontolab API: pages import from here, never a URL.
export * from "./client";
export type * from "./types";
export { ApiError, errorText } from "./http";
export { useApi, type Loaded } from "./hooks";
export { whenSignedOut } from "./http";
export { useReloadOnChange } from "./hooks";
