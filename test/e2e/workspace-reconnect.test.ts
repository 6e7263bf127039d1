import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backoffDelay, closeVerdict, ConnectionKeeper, defaultBackoff, type Clock, type ConnectionEvents, type ConnectionStatus } from '../../src/web/api/reconnect.js';

/** Timers that only run when the test moves time on. */
class FakeClock implements Clock {
  private time = 0;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; run: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(run: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, run });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  get pending(): number {
    return this.timers.size;
  }

  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, timer]) => timer.at <= target).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].run();
    }
    this.time = target;
  }
}

interface FakeConnection {
  events: ConnectionEvents;
  closedByKeeper: boolean;
}

/** A keeper over fake connections; jitter off, so delays are exact. */
function keeper(options: { stableMs?: number } = {}) {
  const clock = new FakeClock();
  const connections: FakeConnection[] = [];
  const statuses: ConnectionStatus[] = [];
  const lost: number[] = [];
  const kept = new ConnectionKeeper({
    open: (events) => {
      const connection: FakeConnection = { events, closedByKeeper: false };
      connections.push(connection);
      return { close: () => (connection.closedByKeeper = true) };
    },
    onStatus: (status) => statuses.push(status),
    onLost: (code) => lost.push(code),
    clock,
    random: () => 0.5,
    ...(options.stableMs !== undefined && { stableMs: options.stableMs }),
  });
  const last = () => connections.at(-1)!;
  return { kept, clock, connections, statuses, lost, last, phase: () => kept.state.phase };
}

describe('workspace reconnect policy', () => {
  test('close codes: 4404 and 4403 end for good, 4409 waits for the machine, everything else retries', () => {
    assert.deepEqual(closeVerdict(4404), { kind: 'end', why: 'no-such-machine' });
    assert.deepEqual(closeVerdict(4403), { kind: 'end', why: 'forbidden' });
    assert.deepEqual(closeVerdict(4409), { kind: 'not-running' });
    for (const code of [1000, 1001, 1005, 1006, 1011, 4000]) assert.deepEqual(closeVerdict(code), { kind: 'retry' }, String(code));
  });

  test('backoff doubles from the initial pause up to the cap, with bounded jitter', () => {
    const exact = { ...defaultBackoff, jitter: 0 };
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => backoffDelay(attempt, exact)), [500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000]);
    assert.equal(backoffDelay(1000, exact), 15_000, 'huge attempts do not overflow');
    assert.equal(backoffDelay(3, defaultBackoff, () => 0), 1600);
    assert.equal(backoffDelay(3, defaultBackoff, () => 1), 2400);
    assert.equal(backoffDelay(8, defaultBackoff, () => 1), 15_000, 'jitter never exceeds the cap');
  });

  test('connects only once the machine runs, and reconnects after a loss with growing pauses', () => {
    const { kept, clock, connections, lost, last, phase } = keeper();
    assert.equal(phase(), 'waiting');
    assert.equal(connections.length, 0, 'nothing to connect to while the machine does not run');

    kept.setRunning(true);
    assert.equal(connections.length, 1);
    assert.deepEqual(kept.state, { phase: 'connecting', attempt: 0, wasOpen: false });
    last().events.opened();
    assert.equal(phase(), 'open');

    last().events.closed(1006, '');
    assert.deepEqual(lost, [1006]);
    assert.deepEqual(kept.state, { phase: 'lost', attempt: 1, retryAt: 500, reason: '', wasOpen: true });
    clock.advance(499);
    assert.equal(connections.length, 1, 'not before the pause is over');
    clock.advance(1);
    assert.equal(connections.length, 2);
    assert.deepEqual(kept.state, { phase: 'connecting', attempt: 1, wasOpen: true });

    // Refused again and again: 1 s, then 2 s.
    last().events.closed(1006, '');
    assert.equal(kept.state.phase === 'lost' && kept.state.retryAt - clock.now(), 1000);
    clock.advance(1000);
    last().events.closed(1011, 'could not connect to the machine');
    assert.deepEqual(kept.state, { phase: 'lost', attempt: 3, retryAt: clock.now() + 2000, reason: 'could not connect to the machine', wasOpen: true });
    clock.advance(2000);
    assert.equal(connections.length, 4);
  });

  test('a connection that stayed open a while starts the backoff afresh; a short-lived one does not', () => {
    const { kept, clock, last } = keeper({ stableMs: 10_000 });
    kept.setRunning(true);
    for (let i = 0; i < 3; i++) {
      last().events.closed(1006, '');
      clock.advance(60_000);
    }
    last().events.opened();
    clock.advance(2000);
    last().events.closed(1011, '');
    assert.equal(kept.state.phase === 'lost' && kept.state.attempt, 4, 'open for 2 s is not stable');
    clock.advance(60_000);
    last().events.opened();
    clock.advance(30_000);
    last().events.closed(1001, 'the server is going away');
    assert.equal(kept.state.phase === 'lost' && kept.state.attempt, 1);
    assert.equal(kept.state.phase === 'lost' && kept.state.retryAt - clock.now(), 500);
  });

  test('4404 and 4403 give up until the user asks; Reconnect tries at once', () => {
    for (const [code, why] of [
      [4404, 'no-such-machine'],
      [4403, 'forbidden'],
    ] as const) {
      const { kept, clock, connections, last } = keeper();
      kept.setRunning(true);
      last().events.opened();
      last().events.closed(code, 'nope');
      assert.deepEqual(kept.state, { phase: 'ended', why, reason: 'nope' });
      assert.equal(clock.pending, 0, 'no retry is scheduled');
      clock.advance(600_000);
      assert.equal(connections.length, 1);
      kept.reconnect();
      assert.equal(connections.length, 2);
      assert.equal(kept.state.phase, 'connecting');
    }
  });

  test('4409: waits for the machine to run again; if the API still says it runs, tries again later as well', () => {
    const stale = keeper();
    stale.kept.setRunning(true);
    stale.last().events.closed(4409, 'the machine is not running');
    assert.deepEqual(stale.kept.state, { phase: 'not-running', reason: 'the machine is not running', retryAt: 500 });
    stale.clock.advance(500);
    assert.equal(stale.connections.length, 2, 'retried while the API says running');

    const stopped = keeper();
    stopped.kept.setRunning(true);
    stopped.last().events.opened();
    stopped.kept.setRunning(false);
    assert.equal(stopped.phase(), 'open', 'a machine that stops is not chased; the gateway closes the socket');
    stopped.last().events.closed(4409, 'stopped');
    assert.deepEqual(stopped.kept.state, { phase: 'not-running', reason: 'stopped', retryAt: null });
    stopped.clock.advance(600_000);
    assert.equal(stopped.connections.length, 1, 'no retries while it does not run');
    stopped.kept.setRunning(true);
    assert.equal(stopped.connections.length, 2, 'connects as soon as it runs again');
    assert.equal(stopped.phase(), 'connecting');
  });

  test('a machine that stops while reconnecting cancels the retry; dispose closes and ignores the rest', () => {
    const { kept, clock, connections, statuses, last, phase } = keeper();
    kept.setRunning(true);
    last().events.opened();
    last().events.closed(1006, '');
    assert.equal(phase(), 'lost');
    kept.setRunning(false);
    assert.equal(phase(), 'waiting');
    assert.equal(clock.pending, 0);

    kept.setRunning(true);
    const current = last();
    current.events.opened();
    kept.dispose();
    assert.equal(current.closedByKeeper, true, 'the live connection is closed');
    const reported = statuses.length;
    current.events.closed(1000, '');
    clock.advance(60_000);
    assert.equal(statuses.length, reported, 'nothing is reported after dispose');
    assert.equal(connections.length, 2);
  });

  test('events of a connection the keeper dropped are ignored', () => {
    const { kept, connections, last, phase } = keeper();
    kept.setRunning(true);
    const first = last();
    kept.reconnect();
    assert.equal(first.closedByKeeper, true);
    assert.equal(connections.length, 2);
    first.events.opened();
    assert.equal(phase(), 'connecting', 'the old connection opening late changes nothing');
    first.events.closed(4404, 'old');
    assert.equal(phase(), 'connecting');
    last().events.opened();
    assert.equal(phase(), 'open');
  });
});
