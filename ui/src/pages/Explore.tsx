import { Link, useSearchParams } from "react-router-dom";
import {
  getDatasetProfile,
  getProfileArtifact,
  getRun,
  listDatasets,
  listRuns,
  useApi,
} from "../api";
import { LabeledSelect } from "../components/LabeledSelect";
import { ProfileView } from "../components/ProfileView";
import { Empty, Guard } from "../components/State";

export function Explore() {
  const [params, setParams] = useSearchParams();
  const run = params.get("run") ?? "";
  const dataset = params.get("dataset") ?? "";
  const runs = useApi(() => listRuns({ status: "succeeded", limit: 200 }), []);
  const datasets = useApi(listDatasets, []);
  const details = useApi(run ? () => getRun(run) : null, [run]);
  const profileSha = details.data?.artifacts.find((a) => a.kind === "profile")?.sha256;
  const profile = useApi(
    dataset ? () => getDatasetProfile(dataset) : profileSha ? () => getProfileArtifact(profileSha) : null,
    [dataset, profileSha],
  );
  return (
    <>
      <h1>Exploration</h1>
      <div className="panel row">
        <LabeledSelect id="explore-run" label="Run" value={run} onChange={(v) => setParams(v ? { run: v } : {})}>
          <option value="">— a run with an explore step —</option>
          {runs.data?.runs.map((r) => (
            <option key={r.run_id} value={r.run_id}>
              {r.run_id} ({r.experiment} v{r.version})
            </option>
          ))}
        </LabeledSelect>
        <span className="muted">or</span>
        <LabeledSelect id="explore-dataset" label="Uploaded dataset" value={dataset} onChange={(v) => setParams(v ? { dataset: v } : {})}>
          <option value="">— none uploaded —</option>
          {datasets.data?.datasets.map((d) => (
            <option key={d.name} value={d.name}>
              {d.name}
            </option>
          ))}
        </LabeledSelect>
      </div>
      {!run && !dataset && <Empty>Pick a run (its explore step's profile) or an uploaded dataset.</Empty>}
      {run && details.data && !profileSha && (
        <Empty>
          Run <Link to={`/runs/${run}`}>{run}</Link> has no profile artifact: its experiment has no explore step (ol:DataExploration).
        </Empty>
      )}
      {run && details.error && <Guard loaded={details} what="the run">{() => null}</Guard>}
      {(dataset || profileSha) && <Guard loaded={profile} what="the profile">{(p) => <ProfileView profile={p} />}</Guard>}
    </>
  );
}
