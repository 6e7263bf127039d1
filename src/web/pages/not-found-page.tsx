import { Link } from 'react-router-dom';
import { CompassIcon } from '../components/icons.js';
import { PageHeader } from '../components/page-header.js';
import { EmptyState } from '../components/status.js';

export default function NotFoundPage() {
  return (
    <>
      <PageHeader title="Page not found" />
      <EmptyState icon={<CompassIcon size={32} />} title="There is nothing at this address">
        <p>The link may be old, or the address mistyped.</p>
        <Link className="button button--secondary" to="/">
          Back to the catalog
        </Link>
      </EmptyState>
    </>
  );
}
