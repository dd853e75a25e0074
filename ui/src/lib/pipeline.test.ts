import { describe, expect, it } from "vitest";
import type { PipelineDocument } from "../api/types";
import {
  cycleIfAdded,
  freshStepId,
  fromPipelineDocument,
  layeredPositions,
  parseValue,
  toPipelineDocument,
  violationsByStep,
  type CanvasNode,
  type StepData,
} from "./pipeline";

function step(stepId: string, stepType: string, extra: Partial<StepData> = {}): CanvasNode {
  return {
    id: `n-${stepId}`,
    data: {
      stepId,
      stepType,
      params: {},
      hyperParameters: [],
      searchSpace: [],
      thresholds: [],
      resources: {},
      ...extra,
    },
  };
}

describe("toPipelineDocument", () => {
  it("turns nodes and edges into the documented JSON shape", () => {
    const nodes = [
      step("extract", "DataExtraction", { params: { source: "sklearn:iris", target_column: "target", drop_column: "" } }),
      step("process", "DataProcessing", { params: { scaling: "standard", test_size: 0.25, stratify: true } }),
      step("build", "ModelBuilding", {
        params: { estimator: "LogisticRegression", model_name: "iris-ui" },
        hyperParameters: [{ name: "max_iter", value: "500" }, { name: " ", value: "ignored" }],
        searchSpace: [{ name: "C", value: "0.1, 1.0,10" }],
        resources: { cpus: "1", memory: "1g", timeout_seconds: "600" },
      }),
      step("validate", "ModelValidation", {
        thresholds: [{ metric: "accuracy", min: "0.9", max: "" }, { metric: "", min: "1" }],
      }),
    ];
    const edges = [
      { source: "n-extract", target: "n-process" },
      { source: "n-process", target: "n-build" },
      { source: "n-build", target: "n-validate" },
      { source: "n-process", target: "n-validate" },
    ];
    const doc = toPipelineDocument({ id: " iris_ui ", label: "Iris", task: "classification" }, nodes, edges);
    expect(doc).toEqual({
      id: "iris_ui",
      label: "Iris",
      task: "classification",
      steps: [
        { id: "extract", type: "DataExtraction", parameters: { source: "sklearn:iris", target_column: "target" } },
        {
          id: "process",
          type: "DataProcessing",
          consumes: ["extract"],
          parameters: { scaling: "standard", test_size: 0.25, stratify: true },
        },
        {
          id: "build",
          type: "ModelBuilding",
          consumes: ["process"],
          parameters: { estimator: "LogisticRegression", model_name: "iris-ui" },
          hyper_parameters: { max_iter: 500 },
          search_space: { C: [0.1, 1, 10] },
          resources: { cpus: 1, memory: "1g", timeout_seconds: 600 },
        },
        {
          id: "validate",
          type: "ModelValidation",
          consumes: ["build", "process"],
          thresholds: [{ metric: "accuracy", min: 0.9 }],
        },
      ],
    });
  });

  it("omits the label when blank and splits several dropped columns", () => {
    const doc = toPipelineDocument({ id: "x", label: " ", task: "regression" }, [
      step("extract", "DataExtraction", { params: { drop_column: "id, name" } }),
    ], []);
    expect(doc.label).toBeUndefined();
    expect(doc.steps[0].parameters).toEqual({ drop_column: ["id", "name"] });
  });

  it("sends an AutoML step's candidate estimators each as its own value", () => {
    const doc = toPipelineDocument({ id: "x", label: "", task: "classification" }, [
      step("automl", "AutoML", { params: { candidate_estimator: "SVC,RandomForestClassifier", trial_budget: 8 } }),
    ], []);
    expect(doc.steps[0].parameters).toEqual({ candidate_estimator: ["SVC", "RandomForestClassifier"], trial_budget: 8 });
  });
});

describe("parseValue", () => {
  it("reads JSON literals and keeps other text", () => {
    expect(parseValue("1.5")).toBe(1.5);
    expect(parseValue("true")).toBe(true);
    expect(parseValue("null")).toBeNull();
    expect(parseValue("lbfgs")).toBe("lbfgs");
    expect(parseValue(' "x" ')).toBe("x");
  });
});

describe("cycleIfAdded", () => {
  const chain = [
    { source: "a", target: "b" },
    { source: "b", target: "c" },
  ];
  it("accepts an edge that keeps the graph acyclic", () => {
    expect(cycleIfAdded(chain, "a", "c")).toBeNull();
    expect(cycleIfAdded(chain, "c", "d")).toBeNull();
  });
  it("refuses an edge closing a cycle and names it", () => {
    expect(cycleIfAdded(chain, "c", "a")).toEqual(["c", "a", "b", "c"]);
    expect(cycleIfAdded(chain, "b", "a")).toEqual(["b", "a", "b"]);
  });
  it("refuses a self loop", () => {
    expect(cycleIfAdded([], "a", "a")).toEqual(["a", "a"]);
  });
});

describe("violationsByStep", () => {
  it("puts each violation on its step, the rest under the empty key", () => {
    const found = violationsByStep(
      [
        { node: ":build", path: "ol:estimator", message: "bad estimator" },
        { node: ":experiment", path: "ol:task", message: "bad task" },
        { node: "https://w3id.org/ontolab/experiments/x#extract", path: "ol:source", message: "bad source" },
      ],
      ["build", "extract"],
    );
    expect(found.get("build")?.map((v) => v.message)).toEqual(["bad estimator"]);
    expect(found.get("extract")?.map((v) => v.message)).toEqual(["bad source"]);
    expect(found.get("")?.map((v) => v.message)).toEqual(["bad task"]);
  });
});

describe("freshStepId", () => {
  it("numbers repeated ids", () => {
    expect(freshStepId("build", [])).toBe("build");
    expect(freshStepId("build", ["build", "build_2"])).toBe("build_3");
  });
});

describe("fromPipelineDocument", () => {
  it("is the inverse of toPipelineDocument (what the builder loads, it saves unchanged)", () => {
    const doc: PipelineDocument = {
      id: "iris",
      label: "Iris",
      task: "classification",
      steps: [
        { id: "extract", type: "DataExtraction", parameters: { source: "sklearn:iris", target_column: "target", drop_column: ["a", "b"] } },
        { id: "process", type: "DataProcessing", consumes: ["extract"], parameters: { test_size: 0.25, stratify: true } },
        {
          id: "build",
          type: "ModelBuilding",
          consumes: ["process"],
          depends_on: ["extract"],
          parameters: { estimator: "LogisticRegression" },
          hyper_parameters: { max_iter: 500, solver: "lbfgs", tol: "1e-3", penalty: null },
          search_space: { C: [0.1, 10] },
          resources: { cpus: 1.5, memory: "1g", timeout_seconds: 600 },
        },
        { id: "validate", type: "ModelValidation", consumes: ["build", "process"], thresholds: [{ metric: "accuracy", min: 0.9 }] },
        { id: "check", type: "DataValidation", consumes: ["extract"], columns: [{ name: "age", min: 0 }] },
      ],
    };
    const { experiment, nodes, edges } = fromPipelineDocument(doc);
    expect(experiment).toEqual({ id: "iris", label: "Iris", task: "classification" });
    expect(edges).toContainEqual({ source: "n1", target: "n2" });
    expect(toPipelineDocument(experiment, nodes, edges)).toEqual(doc);
  });
  it("keeps the experiment's provisioner, and leaves it out when none is set", () => {
    const doc: PipelineDocument = { id: "iris", task: "classification", provisioner: "docker", steps: [{ id: "extract", type: "DataExtraction" }] };
    const { experiment, nodes, edges } = fromPipelineDocument(doc);
    expect(experiment.provisioner).toBe("docker");
    expect(toPipelineDocument(experiment, nodes, edges)).toEqual({ ...doc, label: undefined });
    const plain = toPipelineDocument({ ...experiment, provisioner: undefined }, nodes, edges);
    expect("provisioner" in plain).toBe(false);
  });
});

describe("layeredPositions", () => {
  it("puts each step right of everything it consumes, one layer per longest path", () => {
    const at = layeredPositions(["c", "b", "a", "d"], [
      { source: "a", target: "b" },
      { source: "b", target: "c" },
      { source: "a", target: "c" },
      { source: "a", target: "d" },
    ]);
    expect([at.get("a")!.x, at.get("b")!.x, at.get("c")!.x]).toEqual([40, 270, 500]);
    expect(at.get("d")!.x).toBe(270);
    expect(at.get("d")!.y).not.toBe(at.get("b")!.y);
  });
});
