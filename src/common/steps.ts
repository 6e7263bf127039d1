import { Type, type Static } from '@sinclair/typebox';

/** One guided step of an instance, numbered from 1 as learners count them. */
export const Step = Type.Object({
  number: Type.Integer({ minimum: 1 }),
  title: Type.String(),
  /** Markdown. */
  body: Type.String(),
  /** Whether the step has an automatic check (which machine it runs on, not what it runs). */
  check: Type.Union([Type.Object({ machine: Type.String() }), Type.Null()]),
  /** When its check first passed; null while it has not. */
  passedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export type Step = Static<typeof Step>;

export const StepList = Type.Object({ steps: Type.Array(Step) });
export type StepList = Static<typeof StepList>;

export const StepParams = Type.Object({ id: Type.String({ maxLength: 64 }), n: Type.Integer({ minimum: 1, maximum: 1000 }) });

export const CheckResult = Type.Object({
  passed: Type.Boolean(),
  /** What the check printed (stdout and stderr), at most 4 KiB; shown to the learner when it fails. */
  output: Type.String(),
  timedOut: Type.Boolean(),
});
export type CheckResult = Static<typeof CheckResult>;

export const LearnerProgress = Type.Object({
  username: Type.String(),
  instanceId: Type.String(),
  status: Type.String(),
  passed: Type.Array(Type.Object({ number: Type.Integer(), passedAt: Type.String({ format: 'date-time' }) })),
  steps: Type.Integer({ description: 'how many steps the lab version of this instance has' }),
});
export const LabProgress = Type.Object({ learners: Type.Array(LearnerProgress) });
export type LabProgress = Static<typeof LabProgress>;
