import { NotFound } from '../components/not-found.js';

export default function NotFoundPage() {
  return <NotFound />;
}
