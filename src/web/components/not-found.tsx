import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { CompassIcon } from './icons.js';
import { PageHeader } from './page-header.js';
import { EmptyState } from './status.js';

/** "Not found" for an address, or for one thing the address names (a lab, an instance) that does not exist. */
export function NotFound({ title = 'There is nothing at this address', children }: { title?: string; children?: ReactNode }) {
  return (
    <>
      <PageHeader title="Page not found" />
      <EmptyState icon={<CompassIcon size={32} />} title={title}>
        {children ?? <p>The link may be old, or the address mistyped.</p>}
        <Link className="button button--secondary" to="/">
          Back to the catalog
        </Link>
      </EmptyState>
    </>
  );
}
