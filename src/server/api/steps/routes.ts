import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ErrorResponse } from '../../../common/api.js';
import type { NormalizedLab } from '../../../common/lab/normalized.js';
import { CheckResult, LabProgress, StepList, StepParams } from '../../../common/steps.js';
import { InstanceParams } from '../../../common/instances.js';
import { currentUser } from '../../http/access.js';
import type { InstanceService } from '../../instances/instance-service.js';
import type { StepService } from '../../instances/steps.js';
import type { Services } from '../../services.js';
import type { StepProgressRepository } from '../../store/step-progress.js';

export const stepRoutes: FastifyPluginAsyncTypebox<{ services: Services; instances: InstanceService; steps: StepService; progress: StepProgressRepository }> = async (
  app,
  { services, instances, steps, progress },
) => {
  const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };

  app.get(
    '/api/instances/:id/steps',
    { config: { access: 'user' }, schema: { tags: ['steps'], summary: "The instance's guided steps and which have passed", params: InstanceParams, response: { 200: StepList, ...errors } } },
    async (request) => ({ steps: await steps.list(await instances.get(request.params.id, currentUser(request))) }),
  );

  app.post(
    '/api/instances/:id/steps/:n/check',
    { config: { access: 'user' }, schema: { tags: ['steps'], summary: "Runs step n's check in its machine (exit 0 passes)", params: StepParams, response: { 200: CheckResult, ...errors } } },
    async (request) => {
      const user = currentUser(request);
      const row = await instances.get(request.params.id, user);
      const result = await steps.check(row, request.params.n);
      await services.audit.record({ actor: user.username, action: 'step.check', target: `${row.id}/${request.params.n}`, ip: request.ip, detail: { passed: result.passed } });
      return result;
    },
  );

  app.get(
    '/api/labs/:lab/progress',
    {
      config: { access: 'author' },
      schema: { tags: ['steps'], summary: "Where each learner of a lab is: the passed steps of every instance", params: Type.Object({ lab: Type.String({ maxLength: 63 }) }), response: { 200: LabProgress, ...errors } },
    },
    async (request) => {
      const rows = await instances.ofLab(request.params.lab);
      const names = await services.users.usernames([...new Set(rows.map((row) => row.owner_id))]);
      const passed = await progress.passed(rows.map((row) => row.id));
      return {
        learners: rows.map((row) => ({
          username: names.get(row.owner_id) ?? '?',
          instanceId: row.id,
          status: row.status,
          passed: [...(passed.get(row.id) ?? new Map<number, number>())].sort(([a], [b]) => a - b).map(([number, at]) => ({ number, passedAt: new Date(at).toISOString() })),
          steps: (JSON.parse(row.lab_snapshot) as NormalizedLab).instructions.length,
        })),
      };
    },
  );
};
