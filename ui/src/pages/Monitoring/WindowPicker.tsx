import { useState } from "react";
import { joinWindow, splitWindow, WINDOW_KINDS, WINDOW_PRESETS, type WindowKind } from "../../lib/monitoring";

/** Pick the window to evaluate: a kind and its value, or a preset. `current` is the spec in
 * effect (remount with `key={current}` to follow it). */
export function WindowPicker({ current, onPick }: { current: string; onPick: (spec: string) => void }) {
  const initial = splitWindow(current);
  const [kind, setKind] = useState<WindowKind>(initial.kind);
  const [value, setValue] = useState(initial.value);
  const placeholder = WINDOW_KINDS.find((k) => k.kind === kind)?.placeholder;
  return (
    <form
      className="row window-picker"
      aria-label="Window"
      onSubmit={(e) => {
        e.preventDefault();
        onPick(joinWindow(kind, value));
      }}
    >
      <label className="inline">
        Window
        <select aria-label="Window kind" value={kind} onChange={(e) => setKind(e.target.value as WindowKind)}>
          {WINDOW_KINDS.map((k) => (
            <option key={k.kind} value={k.kind}>
              {k.label}
            </option>
          ))}
        </select>
      </label>
      <input aria-label="Window value" value={value} placeholder={placeholder} onChange={(e) => setValue(e.target.value)} size={22} />
      <button className="primary" type="submit">
        Evaluate window
      </button>
      <span className="muted small">or</span>
      {WINDOW_PRESETS.map((spec) => (
        <button key={spec} type="button" aria-pressed={spec === current} onClick={() => onPick(spec)}>
          {spec}
        </button>
      ))}
    </form>
  );
}
