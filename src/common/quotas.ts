import { Type, type Static } from '@sinclair/typebox';

/** Amounts as the API shows them: cpu in cores, memory in bytes. */
export const QuotaView = Type.Object({
  instances: Type.Integer(),
  /** cores (0.5 = half a core) */
  cpu: Type.Number(),
  memoryBytes: Type.Integer(),
});
export type QuotaView = Static<typeof QuotaView>;

export const QuotaStatus = Type.Object({ quota: QuotaView, usage: QuotaView });
export type QuotaStatus = Static<typeof QuotaStatus>;

export const UsageList = Type.Object({
  defaults: QuotaView,
  users: Type.Array(Type.Object({ username: Type.String(), quota: QuotaView, usage: QuotaView })),
});
export type UsageList = Static<typeof UsageList>;

export const GroupQuotaView = Type.Object({
  instances: Type.Union([Type.Integer(), Type.Null()]),
  cpu: Type.Union([Type.Number(), Type.Null()]),
  memoryBytes: Type.Union([Type.Integer(), Type.Null()]),
});

export const GroupQuotaList = Type.Object({ defaults: QuotaView, groups: Type.Array(Type.Object({ group: Type.String(), quota: GroupQuotaView })) });

/** A group's raise above the defaults, replacing any earlier one; a field left out keeps the default. */
export const SetGroupQuotaRequest = Type.Object(
  {
    instances: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'instances at the same time' })),
    cpu: Type.Optional(Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?m?$', maxLength: 20, description: 'cores of the running instances, e.g. "8" or "2500m"' })),
    memory: Type.Optional(Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)$', maxLength: 20, description: 'memory of the running instances, e.g. "16Gi"' })),
  },
  { additionalProperties: false },
);
export type SetGroupQuotaRequest = Static<typeof SetGroupQuotaRequest>;
