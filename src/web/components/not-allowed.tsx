import { Link } from 'react-router-dom';
import { LockIcon } from './icons.js';
import { PageHeader } from './page-header.js';
import { EmptyState } from './status.js';

/** Who a page is for, as the end of "This page is for …". */
export type Audience = 'administrators' | 'authors';

export function NotAllowed({ audience = 'administrators' }: { audience?: Audience }) {
  return (
    <>
      <PageHeader title="Not allowed" />
      <EmptyState icon={<LockIcon size={32} />} title={`This page is for ${audience}`}>
        <p>Your account cannot open it. If you think it should, ask an administrator of this labhub.</p>
        <Link className="button button--secondary" to="/">
          Back to the catalog
        </Link>
      </EmptyState>
    </>
  );
}
