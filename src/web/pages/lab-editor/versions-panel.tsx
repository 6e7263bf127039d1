import { useState } from 'react';
import type { LabVersionInfo } from '../../../common/lab/api.js';
import { errorMessage } from '../../api/client.js';
import { useFetchLabVersion, useLabVersions } from '../../api/labs.js';
import { Button } from '../../components/button.js';
import { useNotify } from '../../components/notices.js';
import { Spinner } from '../../components/spinner.js';
import { formatDateTime, formatRelative } from '../../format.js';

interface VersionsPanelProps {
  lab: string;
  /** The version the editor started from. */
  current: number | null;
  /** Puts an older version's YAML into the editor, to be saved as the newest. */
  onOpen(version: number, yaml: string): void;
}

/** Every saved version of a store lab, newest first; any of them can be opened in the editor. */
export function VersionsPanel({ lab, current, onOpen }: VersionsPanelProps) {
  const versions = useLabVersions(lab);
  const fetchVersion = useFetchLabVersion();
  const notify = useNotify();
  const [opening, setOpening] = useState<number | null>(null);

  const open = async (info: LabVersionInfo) => {
    setOpening(info.version);
    try {
      const version = await fetchVersion(lab, info.version);
      onOpen(version.version, version.yaml);
    } catch (error) {
      notify.error(errorMessage(error));
    } finally {
      setOpening(null);
    }
  };

  return (
    <section className="side-panel" aria-labelledby="versions-title">
      <h2 className="side-panel__title" id="versions-title">
        Versions
      </h2>
      {versions.isPending ? (
        <p className="side-panel__loading">
          <Spinner /> Loading versions…
        </p>
      ) : versions.isError ? (
        <p className="side-panel__note">{errorMessage(versions.error)}</p>
      ) : (
        <ol className="version-list">
          {versions.data.map((info) => (
            <li key={info.version} className="version-list__item">
              <div>
                <span className="version-list__number">Version {info.version}</span>
                {info.version === current && <span className="badge badge--current">current</span>}
                <p className="version-list__meta">
                  {info.createdBy ?? 'from a file'} · <time dateTime={info.createdAt} title={formatDateTime(info.createdAt)}>{formatRelative(info.createdAt)}</time>
                </p>
              </div>
              {info.version !== current && (
                <Button size="small" variant="quiet" onClick={() => void open(info)} pending={opening === info.version} pendingLabel="Opening…">
                  Open<span className="visually-hidden"> version {info.version}</span>
                </Button>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
