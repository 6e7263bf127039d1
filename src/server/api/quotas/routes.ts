import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ErrorResponse } from '../../../common/api.js';
import { parseBytes, parseCpu } from '../../../common/lab/quantities.js';
import { GroupQuotaList, GroupQuotaView, QuotaStatus, SetGroupQuotaRequest, UsageList, type QuotaView } from '../../../common/quotas.js';
import { LabhubError, validationError } from '../../errors.js';
import { currentUser } from '../../http/access.js';
import type { GroupQuota, Quota } from '../../instances/quotas.js';
import type { Services } from '../../services.js';
import { GroupRepository } from '../../store/groups.js';

const view = (quota: Quota): QuotaView => ({ instances: quota.instances, cpu: quota.cpuMillis / 1000, memoryBytes: quota.memoryBytes });
const groupView = (quota: GroupQuota) => ({ instances: quota.instances, cpu: quota.cpuMillis === null ? null : quota.cpuMillis / 1000, memoryBytes: quota.memoryBytes });

/** Quotas: each user sees their own; admins see everyone's usage and raise quotas per group. */
export const quotaRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { quotas, users, audit } = services;
  const groups = new GroupRepository(services.store.db);
  const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse };

  app.get(
    '/api/me/quota',
    { config: { access: 'user' }, schema: { tags: ['quotas'], summary: "The caller's quota and what they use of it", response: { 200: QuotaStatus, ...errors } } },
    async (request) => {
      const user = currentUser(request);
      const [quota, usage] = await Promise.all([quotas.quotaOf(user.id), quotas.usageOf(user.id)]);
      return { quota: view(quota), usage: view(usage) };
    },
  );

  app.get(
    '/api/admin/usage',
    { config: { access: 'admin' }, schema: { tags: ['quotas'], summary: "Every user's quota and usage", response: { 200: UsageList, ...errors } } },
    async () => {
      const all = await users.list();
      const overview = await quotas.overview(all.map((user) => user.id));
      const rows = all.flatMap((user) => {
        const entry = overview.get(user.id);
        return entry ? [{ username: user.username, quota: view(entry.quota), usage: view(entry.usage) }] : [];
      });
      return { defaults: view(quotas.defaults), users: rows };
    },
  );

  app.get(
    '/api/admin/quotas',
    { config: { access: 'admin' }, schema: { tags: ['quotas'], summary: 'The default quota and the raises groups give', response: { 200: GroupQuotaList, ...errors } } },
    async () => {
      const [raises, all] = await Promise.all([quotas.groupQuotas(), groups.list()]);
      return { defaults: view(quotas.defaults), groups: all.flatMap((group) => (raises.has(group.id) ? [{ group: group.name, quota: groupView(raises.get(group.id) as GroupQuota) }] : [])) };
    },
  );

  app.put(
    '/api/admin/groups/:group/quota',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['quotas'],
        summary: "Raise the quota of a group's members (the most generous of their groups applies); fields left out keep the default, an empty body removes the raise",
        params: Type.Object({ group: Type.String({ maxLength: 64 }) }),
        body: SetGroupQuotaRequest,
        response: { 200: Type.Object({ group: Type.String(), quota: GroupQuotaView }), ...errors },
      },
    },
    async (request) => {
      const group = await groups.findByName(request.params.group);
      if (!group) throw new LabhubError('LABHUB_NOT_FOUND', `There is no group "${request.params.group}".`);
      const { instances = null, cpu, memory } = request.body;
      const cpuMillis = cpu === undefined ? null : parseCpu(cpu);
      if (cpuMillis === undefined || (cpuMillis !== null && cpuMillis < 1)) throw validationError([{ path: 'body.cpu', message: 'must be a cpu amount such as "8" or "2500m"' }]);
      const memoryBytes = memory === undefined ? null : parseBytes(memory);
      if (memoryBytes === undefined || (memoryBytes !== null && memoryBytes < 1)) throw validationError([{ path: 'body.memory', message: 'must be a memory amount such as "16Gi"' }]);
      const quota: GroupQuota = { instances, cpuMillis, memoryBytes };
      await quotas.setGroupQuota(group.id, quota);
      await audit.record({ actor: currentUser(request).username, action: 'group.quota', target: group.name, ip: request.ip, detail: { instances, cpu: cpu ?? null, memory: memory ?? null } });
      return { group: group.name, quota: groupView(quota) };
    },
  );
};
