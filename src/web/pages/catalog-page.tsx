import { useLabs } from '../api/labs.js';
import { FlaskIcon } from '../components/icons.js';
import { LabCard } from '../components/lab-card.js';
import { PageHeader } from '../components/page-header.js';
import { EmptyState, LoadError, Loading } from '../components/status.js';

export default function CatalogPage() {
  const labs = useLabs();
  return (
    <>
      <PageHeader title="Catalog" description="Pick a lab to get your own copy of its machines." />
      {labs.isPending ? (
        <Loading label="Loading labs…" />
      ) : labs.isError ? (
        <LoadError error={labs.error} onRetry={() => void labs.refetch()} retrying={labs.isFetching} />
      ) : labs.data.length === 0 ? (
        <EmptyState icon={<FlaskIcon size={32} />} title="No labs yet">
          <p>When an author publishes a lab, it will show up here, ready to start.</p>
        </EmptyState>
      ) : (
        <ul className="lab-grid" aria-label="Labs">
          {labs.data.map((lab) => (
            <li key={lab.name}>
              <LabCard name={lab.name} title={lab.title} description={lab.description} />
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
