import { useId, type ReactNode } from 'react';

/** A titled section of a page, labelled by its heading for screen readers. */
export function Section({ title, children }: { title: string; children: ReactNode }) {
  const id = useId();
  return (
    <section className="section" aria-labelledby={id}>
      <h2 className="section__title" id={id}>
        {title}
      </h2>
      {children}
    </section>
  );
}
