import type { Scalar, Vocabulary, VocabularyField } from "../../api";
import { TargetColumnField } from "../../components/DatasetSourceField";
import { boundsText, fieldProblem } from "../../lib/fieldChecks";

/** One parameter of a step's form: a choice, a yes/no, a number (with its bounds) or text
 * (with its pattern), checked as you type against what the shapes allow. */
export function ParamField({
  id,
  field: p,
  value,
  choices,
  vocab,
  serverErrors,
  source,
  onChange,
}: {
  id: string;
  field: VocabularyField;
  value: Scalar | "";
  choices: Scalar[] | undefined;
  vocab: Vocabulary;
  serverErrors: string[];
  /** The step's source: an uploaded dataset's gives the target column its choices. */
  source?: string;
  onChange: (value: Scalar) => void;
}) {
  const local = fieldProblem(p, value);
  const bounds = boundsText(p);
  let input;
  if (choices && p.multiple) {
    const picked = String(value).split(",").filter(Boolean);
    input = (
      <select
        id={id}
        multiple
        size={Math.min(6, choices.length)}
        value={picked}
        onChange={(e) => onChange(Array.from(e.target.selectedOptions, (o) => o.value).join(","))}
      >
        {choices.map((c) => (
          <option key={String(c)} value={String(c)}>
            {String(c)}
          </option>
        ))}
      </select>
    );
  } else if (choices) {
    input = (
      <select id={id} value={String(value)} onChange={(e) => onChange(e.target.value)} aria-required={p.required}>
        <option value="">{p.required ? "— choose —" : "(default)"}</option>
        {choices.map((c) => (
          <option key={String(c)} value={String(c)}>
            {String(c)}
          </option>
        ))}
      </select>
    );
  } else if (p.datatype === "boolean") {
    input = (
      <select id={id} value={String(value)} onChange={(e) => onChange(e.target.value === "" ? "" : e.target.value === "true")}>
        <option value="">(default)</option>
        <option value="true">true</option>
        <option value="false">false</option>
      </select>
    );
  } else if (p.datatype === "integer" || p.datatype === "decimal") {
    input = (
      <input
        id={id}
        type="number"
        step={p.datatype === "integer" ? 1 : "any"}
        min={p.min_inclusive ?? p.min_exclusive}
        max={p.max_inclusive ?? p.max_exclusive}
        value={String(value)}
        aria-invalid={local ? true : undefined}
        onChange={(e) => onChange(e.target.value === "" ? "" : Number(e.target.value))}
      />
    );
  } else if (p.name === "target_column") {
    input = <TargetColumnField id={id} value={String(value)} source={source ?? ""} required={p.required} invalid={Boolean(local)} onChange={onChange} />;
  } else {
    input = (
      <input
        id={id}
        value={String(value)}
        list={p.name === "source" ? "source-list" : undefined}
        placeholder={p.name === "source" ? (vocab.sources[0] ?? "") : p.name === "target_column" ? "target" : ""}
        aria-invalid={local ? true : undefined}
        onChange={(e) => onChange(e.target.value)}
        aria-required={p.required}
      />
    );
  }
  return (
    <div>
      <label htmlFor={id}>{p.label}</label>
      {input}
      <div className="field-help">
        {p.required && <strong>Required. </strong>}
        {p.comment?.replace(/^[A-Za-z ,]+: /, "")}
        {bounds && ` (${bounds})`}
      </div>
      {[...(local ? [local] : []), ...serverErrors].map((text, i) => (
        <div key={i} className="field-error" role="alert">
          {text}
        </div>
      ))}
    </div>
  );
}
