import { useState, type FormEvent } from 'react';
import type { LabAuthorship, LabDetail } from '../../common/lab/api.js';
import { errorMessage } from '../api/client.js';
import { useSetLabAuthors } from '../api/labs.js';
import { Button } from '../components/button.js';
import { FormError, TextField } from '../components/field.js';
import { useNotify } from '../components/notices.js';

/**
 * Who holds the lab (decision 0015), for those who do: its owner and co-authors. The owner and
 * admins add a co-author by username (Enter submits) and remove one with its own labelled button;
 * a lab file names its authors in the file.
 */
export function LabAuthorsPanel({ lab, authorship }: { lab: LabDetail; authorship: LabAuthorship }) {
  const manages = lab.source === 'store' && authorship.you !== 'author';
  return (
    <section className="side-panel lab-authors" aria-labelledby="authors-title">
      <h2 className="side-panel__title" id="authors-title">
        Authors
      </h2>
      {authorship.owner !== null && (
        <p className="lab-authors__owner">
          Owner: <strong>{authorship.owner}</strong>
          {authorship.you === 'owner' && ' (you)'}
        </p>
      )}
      {manages ? (
        <CoAuthorsForm lab={lab} authors={authorship.authors} />
      ) : (
        <>
          <AuthorList authors={authorship.authors} />
          <p className="side-panel__note">
            {lab.source === 'file' ? (
              <>
                Named in <code>{lab.file}</code> (<code>metadata.authors</code>); without any, only admins hold a lab file.
              </>
            ) : (
              'Co-authors edit the lab, read its versions and follow its learners; only the owner or an admin names them.'
            )}
          </p>
        </>
      )}
    </section>
  );
}

function AuthorList({ authors }: { authors: string[] }) {
  if (authors.length === 0) return <p className="side-panel__note">No co-authors.</p>;
  return (
    <ul className="lab-authors__list" aria-label="Co-authors">
      {authors.map((author) => (
        <li key={author} className="lab-authors__item">
          <span className="lab-authors__who">{author}</span>
        </li>
      ))}
    </ul>
  );
}

function CoAuthorsForm({ lab, authors }: { lab: LabDetail; authors: string[] }) {
  const setAuthors = useSetLabAuthors(lab.name);
  const notify = useNotify();
  const [username, setUsername] = useState('');
  const save = (next: string[], done: string) =>
    setAuthors.mutate({ authors: next, ...(lab.version !== null && { baseVersion: lab.version }) }, { onSuccess: () => notify.success(done) });

  const add = (event: FormEvent) => {
    event.preventDefault();
    const name = username.trim();
    if (name === '' || authors.includes(name)) return;
    save([...authors, name], `${name} is now a co-author of ${lab.title}.`);
    setUsername('');
  };

  return (
    <>
      {authors.length === 0 ? (
        <p className="side-panel__note">No co-authors yet.</p>
      ) : (
        <ul className="lab-authors__list" aria-label="Co-authors">
          {authors.map((author) => (
            <li key={author} className="lab-authors__item">
              <span className="lab-authors__who">{author}</span>
              <Button
                size="small"
                variant="secondary"
                className="button--danger-text"
                onClick={() => save(authors.filter((other) => other !== author), `${author} is no longer a co-author of ${lab.title}.`)}
                pending={setAuthors.isPending && !setAuthors.variables?.authors.includes(author)}
                pendingLabel="Removing…"
                aria-label={`Remove ${author} as co-author`}
              >
                Remove
              </Button>
            </li>
          ))}
        </ul>
      )}
      <form className="lab-authors__form" onSubmit={add}>
        <TextField
          label="Add a co-author"
          hint="The username of an author or admin. Co-authors edit the lab, read its versions and follow its learners."
          value={username}
          onChange={(event) => setUsername(event.target.value)}
          autoComplete="off"
          spellCheck={false}
        />
        <Button type="submit" variant="secondary" pending={setAuthors.isPending} pendingLabel="Saving…" disabled={username.trim() === ''}>
          Add
        </Button>
      </form>
      <FormError message={setAuthors.error ? errorMessage(setAuthors.error) : undefined} />
    </>
  );
}
