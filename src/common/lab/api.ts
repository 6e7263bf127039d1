import { Type, type Static } from '@sinclair/typebox';
import { maxLabSourceBytes, usernamePattern } from './schema.js';

/**
 * Request and response schemas of the labs API (`/api/labs…`): the server validates and
 * serializes with them, the web UI shares the types.
 */

export const LabProblem = Type.Object(
  {
    path: Type.String({ description: 'Where in the lab, e.g. spec.machines[1].access[0]; (yaml) for a syntax error, (document) for the whole file' }),
    message: Type.String({ description: 'What is wrong, in plain words, e.g. "must be one of: container, vm"' }),
    line: Type.Optional(Type.Integer({ minimum: 1, description: '1-based line in the YAML text' })),
    column: Type.Optional(Type.Integer({ minimum: 1, description: '1-based column in the YAML text' })),
  },
  { description: 'One problem of a lab' },
);
export type LabProblem = Static<typeof LabProblem>;

export const LabSource = Type.Union([Type.Literal('file'), Type.Literal('store')], {
  description: 'file: a YAML file in the labs directory (read-only here); store: written through the API',
});
export type LabSource = Static<typeof LabSource>;

export const LabStatus = Type.Union([Type.Literal('ok'), Type.Literal('broken')], { description: 'broken: the lab does not validate and cannot be started' });
export type LabStatus = Static<typeof LabStatus>;

export const MachineAccessView = Type.Union([Type.Literal('terminal'), Type.Literal('desktop'), Type.Object({ http: Type.Integer({ minimum: 1, maximum: 65535 }) })]);
export type MachineAccessView = Static<typeof MachineAccessView>;

export const MachineType = Type.Union([Type.Literal('container'), Type.Literal('vm')]);

export const LabMachineSummary = Type.Object({ name: Type.String(), type: MachineType, access: Type.Array(MachineAccessView) });
export type LabMachineSummary = Static<typeof LabMachineSummary>;

export const LabLimitsView = Type.Object({
  timeLimitSeconds: Type.Integer(),
  idleTimeoutSeconds: Type.Integer(),
  maxInstancesPerUser: Type.Integer(),
});
export type LabLimitsView = Static<typeof LabLimitsView>;

const summaryProperties = {
  name: Type.String({ description: 'The lab name; for a broken file with no valid name, the file name without extension' }),
  title: Type.String(),
  description: Type.String(),
  tags: Type.Array(Type.String()),
  source: LabSource,
  file: Type.Optional(Type.String({ description: 'File name in the labs directory (file labs only)' })),
  status: LabStatus,
  problems: Type.Optional(Type.Array(LabProblem, { description: "Why the lab is broken; only for the lab's owner, its authors and admins" })),
  groups: Type.Optional(Type.Array(Type.String(), { description: "The groups the lab is limited to (spec.groups); only for the lab's owner, its authors and admins, and only when limited" })),
  version: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: 'Latest version; null for a broken file lab that never validated' }),
  machines: Type.Array(LabMachineSummary, { description: 'Empty when broken' }),
  limits: Type.Union([LabLimitsView, Type.Null()], { description: 'Null when broken' }),
  instructionTitles: Type.Array(Type.String()),
  updatedAt: Type.String({ format: 'date-time' }),
};

export const LabSummary = Type.Object(summaryProperties);
export type LabSummary = Static<typeof LabSummary>;

export const LabList = Type.Object({ labs: Type.Array(LabSummary) });
export type LabList = Static<typeof LabList>;

export const CredentialView = Type.Object({ username: Type.String(), password: Type.Optional(Type.String()) });

export const LabMachineDetail = Type.Object({
  ...LabMachineSummary.properties,
  image: Type.Optional(Type.String({ description: 'Container image (containers)' })),
  disk: Type.Optional(
    Type.Object(
      { source: Type.Union([Type.Literal('image'), Type.Literal('containerDisk'), Type.Literal('url'), Type.Literal('pvc')]), ref: Type.String() },
      { description: 'Where the disk comes from (VMs); ref is the image name, image reference, URL or claim name' },
    ),
  ),
  resources: Type.Object({ cpuMillis: Type.Integer(), memoryBytes: Type.Integer(), diskBytes: Type.Union([Type.Integer(), Type.Null()]) }),
  credentials: Type.Array(CredentialView, { description: 'Logins to show the learner beside the machine' }),
});
export type LabMachineDetail = Static<typeof LabMachineDetail>;

export const LabAuthorship = Type.Object(
  {
    owner: Type.Union([Type.String(), Type.Null()], { description: 'Who created the lab in labhub; null for a lab from a file' }),
    authors: Type.Array(Type.String(), { description: "metadata.authors: the lab's co-authors (a lab file's only authors)" }),
    you: Type.Union([Type.Literal('owner'), Type.Literal('author'), Type.Literal('admin')], { description: 'How the caller holds the lab; only the owner and admins name its authors' }),
  },
  { description: "Whose the lab is; only for the lab's owner, its authors and admins" },
);
export type LabAuthorship = Static<typeof LabAuthorship>;

export const LabStepView = Type.Object({
  title: Type.String(),
  body: Type.String({ description: 'Markdown' }),
  check: Type.Union(
    [
      Type.Object({
        machine: Type.String(),
        timeoutSeconds: Type.Integer(),
        run: Type.Optional(Type.String({ description: "The command; only for the lab's owner, its authors and admins (it may give the answer away)" })),
      }),
      Type.Null(),
    ],
    { description: 'Null when the step has no check' },
  ),
});
export type LabStepView = Static<typeof LabStepView>;

export const LabDetail = Type.Object({
  ...summaryProperties,
  machines: Type.Array(LabMachineDetail, { description: 'Empty when broken' }),
  network: Type.Union([Type.Object({ egress: Type.Union([Type.Literal('allow'), Type.Literal('deny')]) }), Type.Null()], { description: 'Null when broken' }),
  instructions: Type.Array(LabStepView),
  yaml: Type.Optional(Type.String({ description: "The YAML source of this version; only for the lab's owner, its authors and admins" })),
  authorship: Type.Optional(LabAuthorship),
});
export type LabDetail = Static<typeof LabDetail>;

export const LabResponse = Type.Object({ lab: LabDetail });
export type LabResponse = Static<typeof LabResponse>;

export const LabYaml = Type.String({ minLength: 1, maxLength: maxLabSourceBytes, description: 'The lab as YAML text (the lab file format)' });

export const CreateLabRequest = Type.Object({ yaml: LabYaml }, { additionalProperties: false });
export type CreateLabRequest = Static<typeof CreateLabRequest>;

export const UpdateLabRequest = Type.Object(
  {
    yaml: LabYaml,
    baseVersion: Type.Optional(Type.Integer({ minimum: 1, description: 'The version this edit started from; 409 when the lab has moved on since (another author saved)' })),
  },
  { additionalProperties: false },
);
export type UpdateLabRequest = Static<typeof UpdateLabRequest>;

export const SetLabAuthorsRequest = Type.Object(
  {
    authors: Type.Array(Type.String({ minLength: 1, maxLength: 63, pattern: usernamePattern, description: "an author's or admin's username" }), {
      uniqueItems: true,
      maxItems: 50,
      description: "The lab's co-authors besides its owner; an empty list leaves the owner alone",
    }),
    baseVersion: Type.Optional(Type.Integer({ minimum: 1, description: 'The version this change started from; 409 when the lab has moved on since' })),
  },
  { additionalProperties: false },
);
export type SetLabAuthorsRequest = Static<typeof SetLabAuthorsRequest>;

export const ValidateLabRequest = Type.Object({ yaml: Type.String({ maxLength: maxLabSourceBytes }) }, { additionalProperties: false });
export type ValidateLabRequest = Static<typeof ValidateLabRequest>;

export const LabValidation = Type.Object({ ok: Type.Boolean(), problems: Type.Array(LabProblem) });
export type LabValidation = Static<typeof LabValidation>;

export const LabVersionInfo = Type.Object({
  version: Type.Integer({ minimum: 1 }),
  source: LabSource,
  createdAt: Type.String({ format: 'date-time' }),
  createdBy: Type.Union([Type.String(), Type.Null()], { description: 'Username of the author; null for versions recorded from a file' }),
});
export type LabVersionInfo = Static<typeof LabVersionInfo>;

export const LabVersionList = Type.Object({ versions: Type.Array(LabVersionInfo, { description: 'Newest first' }) });
export type LabVersionList = Static<typeof LabVersionList>;

export const LabVersionResponse = Type.Object({ version: Type.Object({ ...LabVersionInfo.properties, yaml: Type.String() }) });
export type LabVersionResponse = Static<typeof LabVersionResponse>;

export const LabParams = Type.Object({ lab: Type.String({ minLength: 1, maxLength: 255 }) });
export const LabVersionParams = Type.Object({ lab: Type.String({ minLength: 1, maxLength: 255 }), version: Type.Integer({ minimum: 1 }) });
