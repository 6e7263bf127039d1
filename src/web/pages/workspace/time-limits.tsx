import type { Instance } from '../../../common/instances.js';
import { errorMessage } from '../../api/client.js';
import { useExtendInstance } from '../../api/instances.js';
import { Button } from '../../components/button.js';
import { ClockIcon, HourglassIcon } from '../../components/icons.js';
import { useNotify } from '../../components/notices.js';
import { useNow } from '../../hooks/use-now.js';
import { formatClockTime, formatCountdown, formatDateTime } from '../../format.js';

/** Below this, the time limit gets a banner with Extend. */
const expiryWarningSeconds = 10 * 60;
/** Below this, the idle stop gets a banner. */
const idleWarningSeconds = 5 * 60;

/** Limits only count down while the machines are (or are about to be) up. */
function counting(instance: Instance): boolean {
  return instance.status === 'running' || instance.status === 'starting' || instance.status === 'paused';
}

function secondsUntil(iso: string | null, now: number): number | null {
  return iso === null ? null : (Date.parse(iso) - now) / 1000;
}

/**
 * The time left before the instance stops by itself, ticking while the machines run; amber in the
 * last ten minutes. The limit counts running time only: while stopped, what is left stands still.
 */
export function TimeLeft({ instance }: { instance: Instance }) {
  const shown = instance.expiresAt !== null && counting(instance);
  const now = useNow(1000, shown);
  if (instance.status === 'stopped' && instance.timeLeftSeconds !== null) {
    return (
      <p className="time-left" title="The time limit counts only while the machines run">
        <ClockIcon size={16} />
        <span className="time-left__label">Time left</span>
        <span className="time-left__value">{formatCountdown(instance.timeLeftSeconds)}</span>
      </p>
    );
  }
  if (!shown || instance.expiresAt === null) return null;
  const left = secondsUntil(instance.expiresAt, now) ?? 0;
  const warning = left < expiryWarningSeconds;
  return (
    <p className={warning ? 'time-left time-left--warning' : 'time-left'} title={`Stops by itself at ${formatDateTime(instance.expiresAt)}`}>
      <ClockIcon size={16} />
      <span className="time-left__label">Time left</span>
      <time className="time-left__value" dateTime={instance.expiresAt}>
        {formatCountdown(left)}
      </time>
    </p>
  );
}

/**
 * Warnings before the instance stops by itself: the time limit (with Extend) in its last ten
 * minutes, and inactivity in its last five. The countdown ticks for the eye only; the sentence
 * read out once does not change every second.
 */
export function LimitBanners({ instance }: { instance: Instance }) {
  const idleAt = instance.idleStopAt;
  const active = counting(instance) && (instance.expiresAt !== null || idleAt !== null);
  const now = useNow(1000, active);
  const extend = useExtendInstance(instance.id);
  const notify = useNotify();
  const onExtend = () =>
    extend.mutate(undefined, {
      onSuccess: (instance) => notify.success(instance.expiresAt ? `Extended: the instance now stops at ${formatClockTime(instance.expiresAt)}.` : 'Extended: the instance has more time.'),
      onError: (error) => notify.error(errorMessage(error)),
    });
  if (instance.status === 'stopped' && instance.timeLeftSeconds === 0 && instance.access !== 'view') {
    return (
      <div className="limit-banners">
        <section className="limit-banner limit-banner--expiry" aria-label="Time limit">
          <ClockIcon size={18} />
          <p className="limit-banner__text">This instance has used all of its time. Your files are kept: extend it to start it again.</p>
          <Button size="small" variant="primary" onClick={onExtend} pending={extend.isPending} pendingLabel="Extending…">
            Extend
          </Button>
        </section>
      </div>
    );
  }
  if (!active) return null;

  const expiresIn = secondsUntil(instance.expiresAt, now);
  const idleIn = secondsUntil(idleAt, now);
  const expiring = expiresIn !== null && expiresIn < expiryWarningSeconds;
  // An idle stop after the time limit would never happen: only the sooner one is worth a word.
  const idling = idleIn !== null && idleIn < idleWarningSeconds && (expiresIn === null || idleIn < expiresIn);
  if (!expiring && !idling) return null;

  return (
    <div className="limit-banners">
      {expiring && expiresIn !== null && (
        <section className="limit-banner limit-banner--expiry" aria-label="Time limit">
          <ClockIcon size={18} />
          <p className="limit-banner__text">
            <span role="status" className="visually-hidden">
              {expiresIn > 0 ? 'This instance stops in less than 10 minutes, when its time is up.' : 'Time is up: this instance is stopping.'}
            </span>
            <span aria-hidden="true">
              {expiresIn > 0 ? (
                <>
                  Time is almost up: this instance stops in <strong className="limit-banner__countdown">{formatCountdown(expiresIn)}</strong>. Extend it to keep working; your files stay either way.
                </>
              ) : (
                'Time is up: this instance is stopping. Your files are kept; start it again to carry on.'
              )}
            </span>
          </p>
          {expiresIn > 0 && (
            <Button size="small" variant="primary" onClick={onExtend} pending={extend.isPending} pendingLabel="Extending…">
              Extend
            </Button>
          )}
        </section>
      )}
      {idling && idleIn !== null && (
        <section className="limit-banner limit-banner--idle" aria-label="Inactivity">
          <HourglassIcon size={18} />
          <p className="limit-banner__text">
            <span role="status" className="visually-hidden">
              Nobody has used a terminal or desktop for a while: this instance stops in less than 5 minutes unless you do.
            </span>
            <span aria-hidden="true">
              Nobody has used a terminal or desktop for a while: this instance stops in <strong className="limit-banner__countdown">{formatCountdown(idleIn)}</strong>. Type in a terminal or use a desktop to keep it running.
            </span>
          </p>
        </section>
      )}
    </div>
  );
}
