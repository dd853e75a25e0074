// The pipeline builder (/builder, /builder?experiment=ID&version=N): its parts live beside this
// file; its state is one reducer (state.ts).

import { ReactFlowProvider } from "@xyflow/react";
import { useSearchParams } from "react-router-dom";
import { getVocabulary, useApi } from "../../api";
import { Guard } from "../../components/State";
import { Canvas } from "./Canvas";

export function Builder() {
  const vocabulary = useApi(getVocabulary, []);
  const [params] = useSearchParams();
  const experiment = params.get("experiment");
  const version = params.get("version");
  return (
    <>
      <h1>Pipeline builder{experiment ? `: ${experiment}` : ""}</h1>
      <Guard loaded={vocabulary} what="the vocabulary (SHACL shapes)">
        {(vocab) => (
          <ReactFlowProvider>
            <Canvas vocab={vocab} experimentParam={experiment} versionParam={version} />
          </ReactFlowProvider>
        )}
      </Guard>
    </>
  );
}
