import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Which guided steps of each instance have passed their check. */
export class StepProgressRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Records a pass; the first pass's time is kept. */
  async recordPass(instanceId: string, step: number, at: number): Promise<void> {
    await this.db
      .insertInto('step_progress')
      .values({ instance_id: instanceId, step, passed_at: at })
      .onConflict((c) => c.columns(['instance_id', 'step']).doNothing())
      .execute();
  }

  /** Passed steps by instance, for the instances given. */
  async passed(instanceIds: string[]): Promise<Map<string, Map<number, number>>> {
    const result = new Map<string, Map<number, number>>();
    if (instanceIds.length === 0) return result;
    const rows = await this.db.selectFrom('step_progress').selectAll().where('instance_id', 'in', instanceIds).execute();
    for (const row of rows) {
      let steps = result.get(row.instance_id);
      if (!steps) result.set(row.instance_id, (steps = new Map()));
      steps.set(row.step, row.passed_at);
    }
    return result;
  }
}
