/**
 * When each instance last had input from a browser and how many browsers are connected to it:
 * what the idle culler decides from. In memory, per replica (a reconnect may land elsewhere:
 * docs/decisions/0007-idle-activity-per-replica.md).
 */
export class ActivityTracker {
  private readonly lastInput = new Map<string, number>();
  private readonly open = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  input(instanceId: string): void {
    this.lastInput.set(instanceId, this.now());
  }

  connected(instanceId: string): () => void {
    this.open.set(instanceId, (this.open.get(instanceId) ?? 0) + 1);
    this.input(instanceId);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const left = (this.open.get(instanceId) ?? 1) - 1;
      if (left > 0) this.open.set(instanceId, left);
      else this.open.delete(instanceId);
      this.input(instanceId);
    };
  }

  connections(instanceId: string): number {
    return this.open.get(instanceId) ?? 0;
  }

  /** Last input or connection change, or undefined when this replica has seen none. */
  lastActivity(instanceId: string): number | undefined {
    return this.lastInput.get(instanceId);
  }

  forget(instanceId: string): void {
    this.lastInput.delete(instanceId);
    this.open.delete(instanceId);
  }
}
