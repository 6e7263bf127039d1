import type { ReactNode } from 'react';
import type { LabDetail } from '../../common/lab/api.js';
import { ApiError } from '../api/client.js';
import { useLab } from '../api/labs.js';
import { NotFound } from './not-found.js';
import { LoadError, Loading } from './status.js';

/** Loads one lab and renders `children` with it; not-found, loading and failure look the same on every page. */
export function LabLoader({ name, children }: { name: string; children: (lab: LabDetail) => ReactNode }) {
  const lab = useLab(name);
  if (lab.error instanceof ApiError && lab.error.status === 404) {
    return (
      <NotFound title={`There is no lab "${name}"`}>
        <p>It may have been deleted, or the address mistyped.</p>
      </NotFound>
    );
  }
  if (lab.isPending) return <Loading label="Loading the lab…" />;
  if (lab.isError) return <LoadError error={lab.error} onRetry={() => void lab.refetch()} retrying={lab.isFetching} />;
  return children(lab.data);
}
