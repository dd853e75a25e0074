// What the canvas shows for the URL: `/builder?experiment=ID&version=N` loads that version
// (without `version`: the newest), unless the tab keeps an unsaved draft of it; `/builder` is a
// new pipeline (or its draft).

import { useEffect, useRef, useState, type Dispatch } from "react";
import { ApiError, errorText, getVersionDocument, listExperiments } from "../../api";
import { fromPipelineDocument } from "../../lib/pipeline";
import { draftKey, readDraft } from "./draft";
import { emptyState, type Action, type Base } from "./state";

async function newestVersion(experiment: string): Promise<number> {
  const row = (await listExperiments()).experiments.find((e) => e.identifier === experiment);
  if (!row) throw new ApiError(404, `there is no experiment "${experiment}"; pick one on the Experiments page`);
  return row.versions;
}

export function useVersionLoader(
  experiment: string | null,
  version: string | null,
  task: string,
  dispatch: Dispatch<Action>,
  fit: () => void,
) {
  const paramsKey = `${experiment ?? ""}@${version ?? ""}`;
  const [loadedFor, setLoadedFor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [restored, setRestored] = useState(false);
  const [tick, setTick] = useState(0);
  // The version just saved: its URL needs no load, the canvas already shows it.
  const expected = useRef<Base | null>(null);
  const defaultTask = useRef(task);
  const fitRef = useRef(fit);
  fitRef.current = fit;

  useEffect(() => {
    let cancelled = false;
    const done = () => {
      if (!cancelled) setLoadedFor(paramsKey);
    };
    setError(null);
    setRestored(false);
    const saved = expected.current;
    if (saved && experiment === saved.identifier && version === String(saved.version)) {
      done();
      return;
    }
    const draft = readDraft(draftKey(experiment));
    if (draft && (version === null || draft.base?.version === Number(version))) {
      dispatch({ type: "restore", state: draft });
      setRestored(true);
      done();
      fitRef.current();
      return;
    }
    const empty = () => dispatch({ type: "restore", state: emptyState(defaultTask.current) });
    if (experiment === null) {
      empty();
      done();
      return;
    }
    if (version !== null && !/^[1-9][0-9]*$/.test(version)) {
      setError(`version=${version} is not a version number (1, 2, …)`);
      empty();
      done();
      return;
    }
    setLoading(true);
    (version === null ? newestVersion(experiment) : Promise.resolve(Number(version)))
      .then((number) => getVersionDocument(experiment, number))
      .then((answer) => {
        if (cancelled) return;
        const canvas = fromPipelineDocument(answer.document);
        const base = { identifier: answer.identifier, version: answer.version };
        dispatch({ type: "load", ...canvas, base, picked: answer.code_sha256 ?? "" });
        fitRef.current();
      })
      .catch((e: unknown) => {
        if (cancelled) return;
        setError(errorText(e));
        empty();
      })
      .finally(() => {
        if (!cancelled) setLoading(false);
        done();
      });
    return () => {
      cancelled = true;
    };
  }, [paramsKey, tick, experiment, version, dispatch]);

  return {
    /** The canvas shows what the URL names (a draft may be written for it). */
    ready: loadedFor === paramsKey,
    loading,
    error,
    restored,
    expect: (base: Base) => {
      expected.current = base;
    },
    reload: () => setTick((t) => t + 1),
  };
}
