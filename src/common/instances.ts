import { Type, type Static } from '@sinclair/typebox';
import { MachineAccessView } from './lab/api.js';


export const MachineStateView = Type.Union([
  Type.Literal('pending'),
  Type.Literal('starting'),
  Type.Literal('running'),
  Type.Literal('paused'),
  Type.Literal('stopped'),
  Type.Literal('failed'),
]);

export const InstanceMachine = Type.Object({
  name: Type.String(),
  type: Type.Union([Type.Literal('container'), Type.Literal('vm')]),
  state: MachineStateView,
  message: Type.Optional(Type.String()),
  access: Type.Array(MachineAccessView),
  /** The HTTP apps the machine declares, each with the link that opens it (same origin; it redirects to the app's own host when there is one). */
  apps: Type.Array(Type.Object({ port: Type.Integer(), url: Type.String() })),
});
export type InstanceMachine = Static<typeof InstanceMachine>;

/** The caller's access to an instance: its owner, an admin, or a share's grantee (`control` uses it, `view` only watches; a lab's authors watch too). */
export const InstanceAccess = Type.Union([Type.Literal('owner'), Type.Literal('admin'), Type.Literal('control'), Type.Literal('view')]);
export type InstanceAccess = Static<typeof InstanceAccess>;

export const Instance = Type.Object({
  id: Type.String(),
  owner: Type.String(),
  /** What the caller may do with it. */
  access: InstanceAccess,
  lab: Type.Object({ name: Type.String(), title: Type.String(), version: Type.Integer() }),
  status: Type.Union([
    Type.Literal('starting'),
    Type.Literal('running'),
    Type.Literal('stopping'),
    Type.Literal('stopped'),
    Type.Literal('paused'),
    Type.Literal('failed'),
    Type.Literal('deleting'),
  ]),
  desired: Type.Union([Type.Literal('running'), Type.Literal('stopped'), Type.Literal('paused'), Type.Literal('deleted')]),
  /** What is happening now, in a learner's words ("Preparing the virtual machine's disk…"), or why it failed. */
  message: Type.Union([Type.String(), Type.Null()]),
  /** How far a start is (0–100) while one is under way, for a progress bar; else null. */
  progress: Type.Union([Type.Integer({ minimum: 0, maximum: 100 }), Type.Null()]),
  machines: Type.Array(InstanceMachine),
  createdAt: Type.String({ format: 'date-time' }),
  /** When the time limit stops the instance (extendable), while its clock runs (machines running or paused); null while it stands or without a limit. */
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  /** Running time left under the time limit (it counts down only while the machines run or are paused); null without a limit. */
  timeLeftSeconds: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  /** When the instance stops for inactivity if nobody connects or types before; null while connected or without an idle limit. */
  idleStopAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export type Instance = Static<typeof Instance>;

export const InstanceResponse = Type.Object({ instance: Instance });
export const InstanceList = Type.Object({ instances: Type.Array(Instance) });
export type InstanceList = Static<typeof InstanceList>;

export const CreateInstanceRequest = Type.Object({ lab: Type.String({ minLength: 1, maxLength: 63, description: 'the name of the lab to start' }) }, { additionalProperties: false });
export type CreateInstanceRequest = Static<typeof CreateInstanceRequest>;

export const PowerAction = Type.Union([Type.Literal('start'), Type.Literal('stop'), Type.Literal('pause'), Type.Literal('resume'), Type.Literal('reset')]);
export type PowerAction = Static<typeof PowerAction>;

export const InstanceParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
export const PowerParams = Type.Object({ id: Type.String({ maxLength: 64 }), action: PowerAction });

export const ShareAccess = Type.Union([Type.Literal('view'), Type.Literal('control')]);
export const CreateShareRequest = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64, description: 'who gets access' }),
    access: Type.Union([Type.Literal('view'), Type.Literal('control')], { description: 'view: watch the screens, input dropped; control: use the machines too' }),
  },
  { additionalProperties: false },
);
export type CreateShareRequest = Static<typeof CreateShareRequest>;
export const Share = Type.Object({ username: Type.String(), access: ShareAccess, grantedBy: Type.String(), createdAt: Type.String({ format: 'date-time' }) });
export type Share = Static<typeof Share>;
export const ShareList = Type.Object({ shares: Type.Array(Share) });
export const ShareResponse = Type.Object({ share: Share });
export const ShareParams = Type.Object({ id: Type.String({ maxLength: 64 }), username: Type.String({ maxLength: 64 }) });
