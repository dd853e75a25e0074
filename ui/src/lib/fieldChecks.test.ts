import { describe, expect, it } from "vitest";
import type { Vocabulary, VocabularyField } from "../api/types";
import { clearForTask, fieldProblem, localProblems, stepIdProblem } from "./fieldChecks";
import type { CanvasNode, StepData } from "./pipeline";

const field = (extra: Partial<VocabularyField>): VocabularyField => ({
  name: "x",
  path: "ol:x",
  label: "x",
  required: false,
  multiple: false,
  ...extra,
});

function node(stepId: string, stepType: string, extra: Partial<StepData> = {}): CanvasNode {
  const data: StepData = { stepId, stepType, params: {}, hyperParameters: [], searchSpace: [], thresholds: [], resources: {}, ...extra };
  return { id: `n-${stepId}`, data };
}

const vocab = {
  task: ["classification", "regression"],
  steps: [
    {
      type: "DataProcessing",
      label: "p",
      phase: "process",
      consumes: { min: 1, max: 1 },
      structures: [],
      parameters: [field({ name: "test_size", label: "test size", datatype: "decimal", min_exclusive: 0, max_exclusive: 1 })],
    },
  ],
  resources: [field({ name: "memory", label: "memory", datatype: "string", pattern: "^[0-9]+[kmg]?$" })],
  hyper_parameter: [],
  search_space: [],
  threshold: [],
  choices_by_task: {
    estimator: { classification: ["LogisticRegression"], regression: ["Ridge"] },
    metric_name: { classification: ["accuracy"], regression: ["rmse"] },
  },
  sources: [],
} as Vocabulary;

describe("fieldProblem", () => {
  it("checks datatypes, bounds and patterns; an empty value is fine", () => {
    const size = field({ label: "test size", datatype: "decimal", min_exclusive: 0, max_exclusive: 1 });
    expect(fieldProblem(size, "")).toBeNull();
    expect(fieldProblem(size, 0.25)).toBeNull();
    expect(fieldProblem(size, 1)).toBe("test size must be > 0, < 1; 1 is not");
    expect(fieldProblem(field({ label: "folds", datatype: "integer", min_inclusive: 2 }), 2.5)).toBe("folds must be a whole number");
    const name = field({ label: "model name", datatype: "string", pattern: "^[a-z0-9][a-z0-9_.-]*$", message: "lower case" });
    expect(fieldProblem(name, "iris-1")).toBeNull();
    expect(fieldProblem(name, "Iris")).toBe("model name: lower case");
  });
});

describe("stepIdProblem", () => {
  it("refuses an id another step has, or one the server would refuse", () => {
    const nodes = [node("extract", "DataExtraction"), node("process", "DataProcessing")];
    expect(stepIdProblem("prep", "n-process", nodes)).toBeNull();
    expect(stepIdProblem("process", "n-process", nodes)).toBeNull();
    expect(stepIdProblem("extract", "n-process", nodes)).toMatch(/already has the id "extract"/);
    expect(stepIdProblem("a b", "n-process", nodes)).toMatch(/only letters/);
    expect(stepIdProblem("", "n-process", nodes)).toMatch(/empty/);
  });
});

describe("localProblems", () => {
  it("lists parameter and resource problems by step id, and a bad experiment id", () => {
    const nodes = [node("process", "DataProcessing", { params: { test_size: 2 }, resources: { memory: "lots" } })];
    expect(localProblems("bad id", nodes, vocab).map((p) => p.step)).toEqual(["", "process", "process"]);
    expect(localProblems("", [node("process", "DataProcessing")], vocab)).toEqual([]);
  });
});

describe("clearForTask", () => {
  it("clears estimators and thresholds the new task has no place for, and says which", () => {
    const nodes = [
      node("build", "ModelBuilding", { params: { estimator: "LogisticRegression", model_name: "m" } }),
      node("validate", "ModelValidation", { thresholds: [{ metric: "accuracy", min: "0.9" }, { metric: "", min: "" }] }),
    ];
    const { nodes: cleared, cleared: said } = clearForTask(nodes, vocab, "regression");
    expect(cleared[0].data.params).toEqual({ estimator: "", model_name: "m" });
    expect(cleared[1].data.thresholds).toEqual([{ metric: "", min: "" }]);
    expect(said).toEqual(["estimator LogisticRegression of build", "the accuracy threshold of validate"]);
    expect(clearForTask(nodes, vocab, "classification").cleared).toEqual([]);
  });
});
