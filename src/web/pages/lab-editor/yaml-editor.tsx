import { yaml } from '@codemirror/lang-yaml';
import { HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { lintGutter, setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { EditorState, type Text } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { tags } from '@lezer/highlight';
import { basicSetup } from 'codemirror';
import { useEffect, useImperativeHandle, useRef, type Ref } from 'react';
import type { LabProblem } from '../../../common/lab/api.js';
import { problemSentence } from '../../components/lab-problem.js';

export interface YamlEditorHandle {
  /** Puts the cursor at a 1-based line and column, scrolls there and focuses the editor. */
  moveTo(line: number, column?: number): void;
  /** Replaces the whole text (an older version loaded into the editor); undo brings the previous text back. */
  replaceText(text: string): void;
}

export interface YamlEditorProps {
  initialText: string;
  onChange(text: string): void;
  /** The problems to mark, and the exact text they were found in. */
  problems: { yaml: string; problems: LabProblem[] } | undefined;
  /** Names the editor for screen readers. */
  label: string;
  /** Ids of elements that describe the editor (the problem summary). */
  describedBy?: string;
  ref?: Ref<YamlEditorHandle>;
}

/**
 * Syntax colours from the stylesheet's custom properties, so the editor follows light and dark
 * mode like the rest of the page. CodeMirror injects these as <style> elements, which the CSP's
 * `style-src 'unsafe-inline'` allows.
 */
const highlighting = HighlightStyle.define([
  { tag: tags.definition(tags.propertyName), color: 'var(--code-key)', fontWeight: '600' },
  { tag: [tags.string, tags.special(tags.string)], color: 'var(--code-string)' },
  { tag: tags.lineComment, color: 'var(--code-comment)', fontStyle: 'italic' },
  { tag: [tags.separator, tags.meta], color: 'var(--code-punctuation)' },
  { tag: [tags.labelName, tags.typeName, tags.keyword], color: 'var(--code-meta)' },
]);

const theme = EditorView.theme({
  '&': { height: '100%', backgroundColor: 'var(--surface)', color: 'var(--text)', fontSize: '0.875rem' },
  '&.cm-focused': { outline: 'none' },
  '.cm-scroller': { fontFamily: 'var(--font-mono)', lineHeight: '1.6', overflow: 'auto' },
  '.cm-content': { caretColor: 'var(--accent)', paddingBlock: '0.75rem' },
  '.cm-cursor, .cm-dropCursor': { borderLeftColor: 'var(--accent)', borderLeftWidth: '2px' },
  '.cm-gutters': { backgroundColor: 'var(--surface-sunken)', color: 'var(--text-faint)', borderRight: '1px solid var(--border)' },
  '.cm-activeLineGutter': { backgroundColor: 'var(--accent-soft)', color: 'var(--accent-soft-text)' },
  '.cm-activeLine': { backgroundColor: 'color-mix(in srgb, var(--accent-soft) 45%, transparent)' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection': { backgroundColor: 'color-mix(in srgb, var(--accent) 25%, transparent) !important' },
  '.cm-foldPlaceholder': { backgroundColor: 'var(--surface-sunken)', borderColor: 'var(--border)', color: 'var(--text-muted)' },
  '.cm-tooltip': { backgroundColor: 'var(--surface)', color: 'var(--text)', border: '1px solid var(--border)', borderRadius: 'var(--radius-sm)', boxShadow: 'var(--shadow-md)' },
  '.cm-tooltip-lint': { padding: '0' },
  '.cm-diagnostic': { padding: '0.375rem 0.625rem', fontFamily: 'var(--font)', fontSize: '0.8125rem' },
  '.cm-diagnostic-error': { borderLeft: '4px solid var(--danger)' },
  '.cm-lintRange-error': { backgroundImage: 'none', textDecoration: 'underline wavy var(--danger)', textDecorationSkipInk: 'none', textUnderlineOffset: '0.25em' },
  '.cm-panels': { backgroundColor: 'var(--surface-sunken)', color: 'var(--text)' },
  '.cm-searchMatch': { backgroundColor: 'var(--warning-soft)', outline: '1px solid var(--warning-text)' },
});

/** A 1-based line and column as an offset in the document, clamped into it (the text may have changed since). */
function offsetOf(doc: Text, line: number, column = 1): number {
  const target = doc.line(Math.min(Math.max(line, 1), doc.lines));
  return Math.min(target.from + Math.max(column - 1, 0), target.to);
}

/**
 * How much of a line from a problem's column is the value it is about: a quoted string to its
 * closing quote, a flow collection or block value to the end of the line, a plain scalar up to
 * the `,`, `]` or `}` that ends it in a flow collection. Comments are never part of it.
 */
function valueLength(rest: string): number {
  const text = rest.replace(/\s+#.*$/, '').trimEnd();
  const quote = text[0];
  if (quote === '"' || quote === "'") {
    const end = text.indexOf(quote, 1);
    return end === -1 ? text.length : end + 1;
  }
  if (quote === '[' || quote === '{') return text.length;
  const end = text.search(/\s*[,\]}]/);
  return end <= 0 ? text.length : end;
}

/** A problem as a CodeMirror diagnostic, underlining the value it is about. */
function toDiagnostic(doc: Text, problem: LabProblem): Diagnostic {
  const from = offsetOf(doc, problem.line ?? 1, problem.column ?? 1);
  const line = doc.lineAt(from);
  return { from, to: from + valueLength(line.text.slice(from - line.from)), severity: 'error', message: problemSentence(problem) };
}

/**
 * CodeMirror 6 with YAML highlighting, line numbers and the lint gutter. It owns its text (React
 * hears of every change through `onChange`); problems come in from outside and are shown
 * inline only when they belong to the text on screen, since a check may answer for older text.
 */
export function YamlEditor({ initialText, onChange, problems, label, describedBy, ref }: YamlEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const changed = useRef(onChange);
  changed.current = onChange;

  useEffect(() => {
    if (!host.current) return;
    const editor = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: initialText,
        extensions: [
          basicSetup,
          yaml(),
          syntaxHighlighting(highlighting),
          lintGutter(),
          theme,
          EditorState.tabSize.of(2),
          EditorView.contentAttributes.of({ 'aria-label': label, ...(describedBy && { 'aria-describedby': describedBy }) }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) changed.current(update.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = editor;
    return () => {
      editor.destroy();
      view.current = null;
    };
    // The editor is made once; later text comes from typing or replaceText, not from props.
  }, []);

  useEffect(() => {
    const editor = view.current;
    if (!editor || !problems || editor.state.doc.toString() !== problems.yaml) return;
    const doc = editor.state.doc;
    editor.dispatch(setDiagnostics(editor.state, problems.problems.map((problem) => toDiagnostic(doc, problem))));
  }, [problems]);

  useImperativeHandle(
    ref,
    () => ({
      moveTo(line, column) {
        const editor = view.current;
        if (!editor) return;
        const anchor = offsetOf(editor.state.doc, line, column);
        editor.dispatch({ selection: { anchor }, effects: EditorView.scrollIntoView(anchor, { y: 'center' }) });
        editor.focus();
      },
      replaceText(text) {
        const editor = view.current;
        if (!editor) return;
        editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: text }, selection: { anchor: 0 }, scrollIntoView: true });
        editor.focus();
      },
    }),
    [],
  );

  return <div className="yaml-editor" ref={host} />;
}
