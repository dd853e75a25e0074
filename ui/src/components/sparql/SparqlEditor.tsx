// CodeMirror 6 with the SPARQL mode of @codemirror/legacy-modes: highlighting, history,
// brackets, and completion of prefixes, keywords and the ontology's terms. Loaded lazily
// (React.lazy) so the main bundle carries none of it.
import { useEffect, useRef } from "react";
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap, type Completion, type CompletionContext } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { bracketMatching, defaultHighlightStyle, StreamLanguage, syntaxHighlighting } from "@codemirror/language";
import { sparql } from "@codemirror/legacy-modes/mode/sparql";
import { EditorState } from "@codemirror/state";
import { EditorView, keymap, lineNumbers, placeholder } from "@codemirror/view";
import { missingPrefix, PREFIXES } from "../../lib/sparqlText";

export interface Term {
  /** `prefix:local` */
  name: string;
  label?: string | null;
  comment?: string | null;
}

const KEYWORDS = ["SELECT", "DISTINCT", "WHERE", "OPTIONAL", "FILTER", "UNION", "GRAPH", "PREFIX", "ORDER BY", "GROUP BY",
  "LIMIT", "OFFSET", "ASK", "CONSTRUCT", "DESCRIBE", "BIND", "VALUES", "COUNT", "SAMPLE", "DESC", "ASC", "NOT EXISTS", "MINUS"];

function completer(terms: { current: Term[] }) {
  return (context: CompletionContext) => {
    const word = context.matchBefore(/[A-Za-z_][\w-]*:[\w.-]*|[A-Za-z]\w*/);
    if (!word || (word.from === word.to && !context.explicit)) return null;
    const colon = word.text.indexOf(":");
    if (colon >= 0) {
      const prefix = word.text.slice(0, colon);
      const options: Completion[] = terms.current
        .filter((t) => t.name.startsWith(`${prefix}:`))
        .map((t) => ({
          label: t.name,
          detail: t.label ?? undefined,
          info: t.comment ?? undefined,
          type: /:[A-Z]/.test(t.name) ? "class" : "property",
          apply: (view, _c, from, to) => {
            const line = missingPrefix(view.state.doc.toString(), prefix);
            const changes = [{ from, to, insert: t.name }, ...(line ? [{ from: 0, insert: line }] : [])];
            view.dispatch({ changes, selection: { anchor: from + t.name.length + (line?.length ?? 0) } });
          },
        }));
      return { from: word.from, options, validFor: /^[\w-]*:[\w.-]*$/ };
    }
    const prefixes: Completion[] = Object.keys(PREFIXES).map((p) => ({
      label: `${p}:`,
      type: "namespace",
      detail: PREFIXES[p],
      apply: (view, _c, from, to) => {
        const line = missingPrefix(view.state.doc.toString(), p);
        view.dispatch({
          changes: [{ from, to, insert: `${p}:` }, ...(line ? [{ from: 0, insert: line }] : [])],
          selection: { anchor: from + p.length + 1 + (line?.length ?? 0) },
        });
      },
    }));
    const keywords: Completion[] = KEYWORDS.map((k) => ({ label: k, type: "keyword" }));
    return { from: word.from, options: [...prefixes, ...keywords], validFor: /^\w*$/ };
  };
}

export default function SparqlEditor({
  value,
  onChange,
  onRun,
  terms,
  label,
}: {
  value: string;
  onChange: (text: string) => void;
  onRun: () => void;
  terms: Term[];
  label: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const termsRef = useRef(terms);
  const handlers = useRef({ onChange, onRun });
  termsRef.current = terms;
  handlers.current = { onChange, onRun };

  useEffect(() => {
    const created = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          lineNumbers(),
          history(),
          bracketMatching(),
          closeBrackets(),
          StreamLanguage.define(sparql),
          syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
          autocompletion({ override: [completer(termsRef)], activateOnTyping: true }),
          placeholder("SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10"),
          keymap.of([
            { key: "Mod-Enter", run: () => (handlers.current.onRun(), true) },
            ...closeBracketsKeymap,
            ...completionKeymap,
            ...historyKeymap,
            indentWithTab,
            ...defaultKeymap,
          ]),
          EditorView.contentAttributes.of({ "aria-label": label, "aria-multiline": "true", spellcheck: "false" }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) handlers.current.onChange(u.state.doc.toString());
          }),
          EditorView.theme({ "&": { minHeight: "14rem", border: "1px solid #ccd", fontSize: "0.9rem" }, ".cm-scroller": { fontFamily: "monospace" } }),
        ],
      }),
    });
    view.current = created;
    return () => created.destroy();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
  }, [value]);

  return <div ref={host} className="sparql-editor" data-testid="sparql-editor" />;
}
