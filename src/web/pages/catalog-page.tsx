import { Link } from 'react-router-dom';
import { useLabs } from '../api/labs.js';
import { FlaskIcon, PlusIcon } from '../components/icons.js';
import { LabCard } from '../components/lab-card.js';
import { PageHeader } from '../components/page-header.js';
import { EmptyState, LoadError, Loading } from '../components/status.js';
import { useCanAuthor } from '../hooks/use-can-author.js';

export default function CatalogPage() {
  const labs = useLabs();
  const canAuthor = useCanAuthor();
  // A broken lab cannot be started; only those who can fix it need to see it.
  const shown = labs.data?.filter((lab) => canAuthor || lab.status === 'ok');
  return (
    <>
      <PageHeader
        title="Catalog"
        description="Pick a lab to get your own copy of its machines."
        actions={
          canAuthor && (
            <Link className="button button--primary" to="/labs/new">
              <PlusIcon size={18} />
              New lab
            </Link>
          )
        }
      />
      {labs.isPending ? (
        <Loading label="Loading labs…" />
      ) : labs.isError ? (
        <LoadError error={labs.error} onRetry={() => void labs.refetch()} retrying={labs.isFetching} />
      ) : !shown || shown.length === 0 ? (
        <EmptyState icon={<FlaskIcon size={32} />} title="No labs yet">
          {canAuthor ? (
            <p>Write the first one: describe its machines and steps in YAML, and it shows up here, ready to start.</p>
          ) : (
            <p>When an author publishes a lab, it will show up here, ready to start.</p>
          )}
        </EmptyState>
      ) : (
        <ul className="lab-grid" aria-label="Labs">
          {shown.map((lab) => (
            <li key={`${lab.source}:${lab.file ?? lab.name}`}>
              <LabCard lab={lab} />
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
