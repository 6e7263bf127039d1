import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ErrorResponse } from '../../../common/api.js';
import { CheckResult, LabProgress, StepList, StepParams } from '../../../common/steps.js';
import { InstanceParams } from '../../../common/instances.js';
import { LabhubError } from '../../errors.js';
import { currentUser } from '../../http/access.js';
import { progressCsv } from './progress-csv.js';
import type { InstanceService } from '../../instances/instance-service.js';
import { firstUnpassed } from '../../../common/lab/guide.js';
import type { StepService } from '../../instances/steps.js';
import { labOf } from '../../instances/snapshot.js';
import type { Services } from '../../services.js';
import type { StepProgressRepository } from '../../store/step-progress.js';
import type { UserRow } from '../../store/users.js';

export const stepRoutes: FastifyPluginAsyncTypebox<{ services: Services; instances: InstanceService; steps: StepService; progress: StepProgressRepository }> = async (
  app,
  { services, instances, steps, progress },
) => {
  const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };

  app.get(
    '/api/instances/:id/steps',
    { config: { access: 'user' }, schema: { tags: ['steps'], summary: "The instance's guided steps and which have passed", params: InstanceParams, response: { 200: StepList, ...errors } } },
    async (request) => {
      const row = await instances.get(request.params.id, currentUser(request));
      const owner = (await services.users.usernames([row.owner_id])).get(row.owner_id) ?? '';
      return steps.list(row, owner);
    },
  );

  app.post(
    '/api/instances/:id/steps/:n/check',
    { config: { access: 'user' }, schema: { tags: ['steps'], summary: "Runs step n's check in its machine (exit 0 passes)", params: StepParams, response: { 200: CheckResult, ...errors } } },
    async (request) => {
      const user = currentUser(request);
      // Running a check is using the instance: watchers (a view share, the lab's authors) may not.
      const row = await instances.get(request.params.id, user, 'use');
      const result = await steps.check(row, request.params.n);
      await services.audit.record({ actor: user.username, action: 'step.check', target: `${row.id}/${request.params.n}`, ip: request.ip, detail: { passed: result.passed } });
      return result;
    },
  );

  /**
   * Where each learner of a lab is, for the lab's owner, its authors and admins (decision 0015):
   * a lab the caller may not see is 404, one they see but do not hold 403, as for its other routes.
   */
  const labProgress = async (user: UserRow, name: string): Promise<LabProgress> => {
    const current = (await services.labAuthoring.assertHoldsForProgress(user, name))?.lab ?? undefined;
    const rows = await instances.ofLab(name);
    const newest = rows[0];
    if (!current && !newest) throw new LabhubError('LABHUB_NOT_FOUND', `There is no lab "${name}".`);
    // The lab as it is now names the columns; while it is broken, the newest instance's version does (rows come newest first).
    const shown = current ?? labOf(newest!);
    const names = await services.users.usernames([...new Set(rows.map((row) => row.owner_id))]);
    const passed = await progress.passed(rows.map((row) => row.id));
    return {
      title: shown.title,
      steps: shown.instructions.map((step, index) => ({ number: index + 1, title: step.title, checked: step.check !== null })),
      learners: rows
        .map((row) => {
          const lab = labOf(row);
          const passes = passed.get(row.id) ?? new Map<number, number>();
          return {
            username: names.get(row.owner_id) ?? '?',
            instanceId: row.id,
            status: row.status,
            passed: [...passes].sort(([a], [b]) => a - b).map(([number, at]) => ({ number, passedAt: new Date(at).toISOString() })),
            steps: lab.instructions.length,
            checked: lab.instructions.flatMap((step, index) => (step.check ? [index + 1] : [])),
            current: firstUnpassed(lab, passes) ?? null,
          };
        })
        .sort((a, b) => a.username.localeCompare(b.username) || a.instanceId.localeCompare(b.instanceId)),
    };
  };
  const progressParams = Type.Object({ lab: Type.String({ maxLength: 63 }) });

  app.get(
    '/api/labs/:lab/progress',
    {
      config: { access: 'author' },
      schema: { tags: ['steps'], summary: "Where each learner of a lab is: the passed steps of every instance (the lab's owner, its authors and admins)", params: progressParams, response: { 200: LabProgress, ...errors } },
    },
    async (request) => labProgress(currentUser(request), request.params.lab),
  );

  app.get(
    '/api/labs/:lab/progress.csv',
    {
      config: { access: 'author' },
      schema: {
        tags: ['steps'],
        summary: 'The same as CSV, one row per instance and a column per step with the time its check passed',
        params: progressParams,
        produces: ['text/csv'],
        response: { 200: Type.String({ description: 'text/csv' }), ...errors },
      },
    },
    async (request, reply) => {
      const report = await labProgress(currentUser(request), request.params.lab);
      reply.header('Content-Type', 'text/csv; charset=utf-8');
      reply.header('Content-Disposition', `attachment; filename="${request.params.lab.replace(/[^a-z0-9-]/g, '_')}-progress.csv"`);
      return progressCsv(report);
    },
  );
};
