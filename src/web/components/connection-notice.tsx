import type { ReactNode } from 'react';
import type { ConnectionStatus, EndReason } from '../api/reconnect.js';
import { useNow } from '../hooks/use-now.js';
import { Button } from './button.js';
import { AlertIcon, RefreshIcon } from './icons.js';
import { Spinner } from './spinner.js';

/** Whether a machine can be connected to now, and if not, what to tell the learner. */
export interface MachineAvailability {
  /** The machine runs (per the API): its terminal and desktop may connect. */
  running: boolean;
  /** When it does not run: what is going on, as a title ("shell is starting"). */
  title: string;
  /** A sentence more: the progress message, or what to do. */
  detail: string | null;
  /** Something is under way by itself (starting, stopping): the page says so and waits. */
  busy: boolean;
  /** How far a start is (0–100), for a progress bar; absent when the server does not say. */
  progress?: number;
  /** A button that makes it run (Start, Resume), if the learner can. */
  action?: ReactNode;
}

export interface ConnectionNoticeProps {
  status: ConnectionStatus;
  availability: MachineAvailability;
  /** "terminal" or "desktop", for the sentences. */
  what: string;
  onReconnect(): void;
  /** What the connection itself reported, e.g. a VNC security failure. */
  problem?: string | null;
}

/**
 * What a terminal or desktop shows above itself when it is not simply connected: a cover while
 * there is nothing to show (the machine does not run, the connection is refused for good), a
 * slim banner while it reconnects (the old screen stays readable under it).
 */
export function ConnectionNotice({ status, availability, what, onReconnect, problem }: ConnectionNoticeProps) {
  switch (status.phase) {
    case 'open':
      // Still connected to a machine that is pausing or stopping: what it shows is frozen or going away.
      return availability.running ? null : <Unavailable availability={availability} />;
    case 'waiting':
      return availability.running ? null : <Unavailable availability={availability} />;
    case 'connecting':
      if (status.wasOpen) return <LostBanner retryAt={null} onReconnect={onReconnect} />;
      return <FirstConnection what={what} retryAt={null} tries={status.attempt} onReconnect={onReconnect} />;
    case 'lost':
      if (status.wasOpen) return <LostBanner retryAt={status.retryAt} onReconnect={onReconnect} detail={problem ?? undefined} />;
      return <FirstConnection what={what} retryAt={status.retryAt} tries={status.attempt} onReconnect={onReconnect} detail={problem ?? undefined} />;
    case 'not-running':
      if (!availability.running) return <Unavailable availability={availability} />;
      return (
        <div className="connection-banner" role="status">
          <AlertIcon size={16} />
          <span>The machine is not running yet; labhub connects as soon as it is.</span>
        </div>
      );
    case 'ended':
      return (
        <div className="connection-cover" role="alert">
          <p className="connection-cover__title">
            <AlertIcon size={20} />
            {endedTitle[status.why](what)}
          </p>
          <p className="connection-cover__detail">{status.reason || endedDetail[status.why]}</p>
          <Button size="small" onClick={onReconnect}>
            <RefreshIcon size={16} />
            Try again
          </Button>
        </div>
      );
  }
}

function Unavailable({ availability }: { availability: MachineAvailability }) {
  return (
    <div className="connection-cover" role="status">
      <p className="connection-cover__title">
        {availability.busy && <Spinner />}
        {availability.title}
      </p>
      {availability.detail && <p className="connection-cover__detail">{availability.detail}</p>}
      {availability.progress !== undefined && <progress className="connection-cover__progress" max={100} value={availability.progress} aria-label={`${availability.title} ${availability.progress}%`} />}
      {availability.action}
    </div>
  );
}

/**
 * Before the first connection: quiet at first (a quick connect does not flash), then saying that
 * labhub keeps trying; right after a machine starts its desktop may need a moment to answer.
 */
function FirstConnection({ what, retryAt, tries, onReconnect, detail }: { what: string; retryAt: number | null; tries: number; onReconnect(): void; detail?: string | undefined }) {
  const now = useNow(500, retryAt !== null);
  const seconds = retryAt === null ? 0 : Math.ceil((retryAt - now) / 1000);
  return (
    <div className={tries === 0 ? 'connection-cover connection-cover--quiet' : 'connection-cover'} role="status">
      <p className="connection-cover__title">
        <Spinner />
        Connecting to the {what}…
      </p>
      {tries > 0 && (
        <>
          <p className="connection-cover__detail">
            {detail ?? `The ${what} did not answer yet; labhub keeps trying.`}
            <span aria-hidden="true">{seconds > 0 ? ` Next try in ${seconds} s.` : ''}</span>
          </p>
          <Button size="small" onClick={onReconnect}>
            <RefreshIcon size={16} />
            Try now
          </Button>
        </>
      )}
    </div>
  );
}

function LostBanner({ retryAt, onReconnect, detail }: { retryAt: number | null; onReconnect(): void; detail?: string | undefined }) {
  const now = useNow(500, retryAt !== null);
  const seconds = retryAt === null ? 0 : Math.ceil((retryAt - now) / 1000);
  return (
    <div className="connection-banner connection-banner--lost">
      <Spinner />
      <span role="status">Connection lost — reconnecting…</span>
      {seconds > 0 && <span className="connection-banner__when" aria-hidden="true">in {seconds} s</span>}
      {detail && <span className="connection-banner__when">{detail}</span>}
      <button type="button" className="connection-banner__action" onClick={onReconnect}>
        Reconnect now
      </button>
    </div>
  );
}

const endedTitle: Record<EndReason, (what: string) => string> = {
  forbidden: (what) => `You no longer have access to this ${what}`,
  'signed-out': () => 'You were signed out',
  'no-such-machine': (what) => `This ${what} is not there`,
};

const endedDetail: Record<EndReason, string> = {
  forbidden: 'Its owner or an administrator took your access away.',
  'signed-out': 'Sign in again to carry on; the machine kept running.',
  'no-such-machine': 'The machine is not part of this instance any more.',
};
