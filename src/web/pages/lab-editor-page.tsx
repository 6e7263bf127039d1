import { useCallback, useId, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import type { LabDetail, LabProblem } from '../../common/lab/api.js';
import { ApiError, errorMessage } from '../api/client.js';
import { useCreateLab, useLabValidation, useUpdateLab } from '../api/labs.js';
import { Button } from '../components/button.js';
import { FormError } from '../components/field.js';
import { FileIcon } from '../components/icons.js';
import { useNotify } from '../components/notices.js';
import { LabLoader } from '../components/lab-loader.js';
import { PageHeader } from '../components/page-header.js';
import { EmptyState } from '../components/status.js';
import { useDebouncedValue } from '../hooks/use-debounced-value.js';
import { LeaveGuard } from './lab-editor/leave-guard.js';
import { ProblemList, type CheckState } from './lab-editor/problem-list.js';
import { starterTemplate } from './lab-editor/starter-template.js';
import { VersionsPanel } from './lab-editor/versions-panel.js';
import { YamlEditor, type YamlEditorHandle } from './lab-editor/yaml-editor.js';

/** How long typing must pause before the text is checked. */
const checkDelayMs = 300;

/** `/labs/new` and `/labs/:lab/edit`: a lab's YAML, checked as it is typed. */
export default function LabEditorPage() {
  const { lab } = useParams();
  if (lab === undefined) return <LabEditor key="new" initialYaml={starterTemplate} />;
  return <EditLab name={lab} />;
}

function EditLab({ name }: { name: string }) {
  return (
    <LabLoader name={name}>
      {(lab) => (lab.source === 'file' ? <FileLabNotice lab={lab} /> : lab.authorship === undefined ? <NotYoursNotice lab={lab} /> : <LabEditor key={name} existing={lab} initialYaml={lab.yaml ?? ''} />)}
    </LabLoader>
  );
}

function FileLabNotice({ lab }: { lab: LabDetail }) {
  return (
    <>
      <PageHeader title={`Edit ${lab.title}`} />
      <EmptyState icon={<FileIcon size={32} />} title="This lab is read-only here">
        <p>
          It comes from the file <code>{lab.file}</code> in the labs directory. Change that file and labhub picks the change up by itself.
        </p>
        <Link className="button button--secondary" to={`/labs/${encodeURIComponent(lab.name)}`}>
          Back to the lab
        </Link>
      </EmptyState>
    </>
  );
}

/** Only the lab's owner, its authors and admins change it (decision 0015). */
function NotYoursNotice({ lab }: { lab: LabDetail }) {
  return (
    <>
      <PageHeader title={`Edit ${lab.title}`} />
      <EmptyState icon={<FileIcon size={32} />} title="This lab is not yours to change">
        <p>Only its owner, the co-authors they name and admins can change it. Ask its owner to name you a co-author.</p>
        <Link className="button button--secondary" to={`/labs/${encodeURIComponent(lab.name)}`}>
          Back to the lab
        </Link>
      </EmptyState>
    </>
  );
}

function saveProblem(error: unknown): string {
  if (error instanceof ApiError && error.problems.length > 0) return 'The lab was not saved: fix the problems listed under the editor.';
  return errorMessage(error);
}

function LabEditor({ existing, initialYaml }: { existing?: LabDetail; initialYaml: string }) {
  const navigate = useNavigate();
  const notify = useNotify();
  const editor = useRef<YamlEditorHandle>(null);
  const problemsId = useId();
  const [yaml, setYaml] = useState(initialYaml);
  const checked = useDebouncedValue(yaml, checkDelayMs);
  const validation = useLabValidation(checked);
  const create = useCreateLab();
  const update = useUpdateLab(existing?.name ?? '');
  const save = existing ? update : create;
  const leaving = useRef(false);

  // The server's answer to a save outranks the last check while the text is the one that was saved.
  const savedText = existing ? update.variables?.yaml : create.variables;
  const saveProblems = save.error instanceof ApiError && save.error.problems.length > 0 && savedText === yaml ? save.error.problems : undefined;
  const verdict = validation.data;
  const upToDate = verdict?.yaml === yaml;
  const shown: { yaml: string; problems: LabProblem[] } | undefined = saveProblems ? { yaml, problems: saveProblems } : verdict;
  const state: CheckState = saveProblems
    ? 'invalid'
    : validation.isError && !validation.isFetching
      ? 'unknown'
      : !verdict || !upToDate || validation.isFetching
        ? 'checking'
        : verdict.ok
          ? 'valid'
          : 'invalid';
  const dirty = yaml !== initialYaml;
  // When the check itself fails, saving is still allowed: the server checks again before it stores anything.
  const canSave = (state === 'valid' || state === 'unknown') && (dirty || !existing);

  const isDirty = useRef(dirty);
  isDirty.current = dirty;
  const shouldGuard = useCallback(() => isDirty.current && !leaving.current, []);

  const onSave = () => {
    if (!canSave || save.isPending) return;
    const saved = (lab: LabDetail) => {
      leaving.current = true;
      notify.success(existing ? `Saved version ${lab.version ?? ''} of ${lab.title}.` : `Created the lab ${lab.title}.`);
      void navigate(`/labs/${encodeURIComponent(lab.name)}`);
    };
    if (existing) update.mutate({ yaml, ...(existing.version !== null && { baseVersion: existing.version }) }, { onSuccess: saved });
    else create.mutate(yaml, { onSuccess: saved });
  };

  const onOpenVersion = (version: number, text: string) => {
    editor.current?.replaceText(text);
    notify.success(`Opened version ${version}. Save to make it the newest version.`);
  };

  const title = existing ? `Edit ${existing.title}` : 'New lab';
  const cancelTo = existing ? `/labs/${encodeURIComponent(existing.name)}` : '/';
  const saveHint = state === 'invalid' ? 'Fix the problems to save.' : state === 'checking' ? 'Checking the lab…' : existing && !dirty ? 'No changes to save.' : undefined;

  return (
    <>
      <PageHeader
        title={title}
        description={
          existing ? (
            <>
              Saving makes version {(existing.version ?? 0) + 1}; instances already running keep the version they started from.
            </>
          ) : (
            'Describe the machines and steps of a lab in YAML. It is checked as you type.'
          )
        }
        actions={
          <>
            <Link className="button button--secondary" to={cancelTo}>
              Cancel
            </Link>
            <Button variant="primary" onClick={onSave} disabled={!canSave && !save.isPending} pending={save.isPending} pendingLabel="Saving…" aria-describedby={saveHint ? `${problemsId}-hint` : undefined}>
              {existing ? 'Save' : 'Create lab'}
            </Button>
          </>
        }
      />
      {saveHint && (
        <p className="visually-hidden" id={`${problemsId}-hint`}>
          {saveHint}
        </p>
      )}
      <div className={existing ? 'editor-layout' : 'editor-layout editor-layout--new'}>
        <div className="editor-main">
          <FormError message={save.error ? saveProblem(save.error) : undefined} />
          <div className={`editor-frame editor-frame--${state}`}>
            <YamlEditor
              ref={editor}
              initialText={initialYaml}
              onChange={setYaml}
              problems={shown}
              label={existing ? `YAML of the lab ${existing.name}` : 'YAML of the new lab'}
              describedBy={`${problemsId}-summary`}
            />
          </div>
          <ProblemList
            id={problemsId}
            state={state}
            checkError={validation.isError ? errorMessage(validation.error) : undefined}
            problems={state === 'checking' || state === 'invalid' ? (shown?.problems ?? []) : []}
            onSelect={(problem) => problem.line !== undefined && editor.current?.moveTo(problem.line, problem.column)}
          />
        </div>
        <aside className="editor-side">
          {existing ? <VersionsPanel lab={existing.name} current={existing.version} onOpen={onOpenVersion} /> : <WritingTips />}
        </aside>
      </div>
      <LeaveGuard when={shouldGuard} />
    </>
  );
}

/** The few facts a first lab needs, beside the starter template. */
function WritingTips() {
  return (
    <section className="side-panel" aria-labelledby="tips-title">
      <h2 className="side-panel__title" id="tips-title">
        Writing a lab
      </h2>
      <dl className="tips">
        <dt>Containers</dt>
        <dd>
          <code>type: container</code> with <code>image: labhub/shell</code> for a terminal, or <code>labhub/desktop</code> for a desktop too.
        </dd>
        <dt>Virtual machines</dt>
        <dd>
          <code>type: vm</code> with <code>disk: {'{ image: tiny }'}</code>: boots in seconds; its terminal is the serial console.
        </dd>
        <dt>Access</dt>
        <dd>
          <code>terminal</code>, <code>desktop</code>, or <code>{'{ http: 8080 }'}</code> for a web app inside the machine.
        </dd>
        <dt>Steps</dt>
        <dd>
          A <code>title</code>, a Markdown <code>body</code>, and a <code>check</code> command that exits 0 when the step is done.
        </dd>
      </dl>
      <p className="side-panel__note">
        Editors that read JSON Schema can check lab files too: <a href="/api/schema/lab.json">lab.json</a>.
      </p>
    </section>
  );
}
