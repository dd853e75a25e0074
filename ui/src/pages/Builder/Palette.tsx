import type { VocabularyStep } from "../../api";

export const DRAG_TYPE = "application/ontolab-step";

/** The step classes the platform runs (those with a phase), to drag onto the canvas or add. */
export function Palette({ types, onAdd }: { types: VocabularyStep[]; onAdd: (stepType: string) => void }) {
  return (
    <aside className="palette" aria-label="Step types">
      <strong>Steps</strong>
      <span className="muted small">Drag onto the canvas (or press Enter to add).</span>
      {types.map((t) => (
        <button
          key={t.type}
          className="palette-item"
          draggable
          data-step-type={t.type}
          onDragStart={(e) => {
            e.dataTransfer.setData(DRAG_TYPE, t.type);
            e.dataTransfer.effectAllowed = "move";
          }}
          onClick={() => onAdd(t.type)}
          title={t.comment ?? undefined}
        >
          {t.label ?? t.type}
          <div className="small muted">{t.phase}</div>
        </button>
      ))}
    </aside>
  );
}
