import { Link } from 'react-router-dom';
import type { LabSummary } from '../api/labs.js';

/** One lab in the catalog; the whole card opens the lab's page. */
export function LabCard({ name, title, description }: LabSummary) {
  return (
    <article className="lab-card">
      <h2 className="lab-card__title">
        <Link className="lab-card__link" to={`/labs/${encodeURIComponent(name)}`}>
          {title}
        </Link>
      </h2>
      {description && <p className="lab-card__description">{description}</p>}
      <p className="lab-card__name">{name}</p>
    </article>
  );
}
