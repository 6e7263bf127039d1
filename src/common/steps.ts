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
  /** In a gated lab, a step whose earlier checks have not all passed: its body is withheld (empty) and its check refused. */
  locked: Type.Boolean(),
});
export type Step = Static<typeof Step>;

export const StepList = Type.Object({
  steps: Type.Array(Step),
  /** Whether the lab opens each step only once the checks before it passed (`spec.guide.gated`). */
  gated: Type.Boolean(),
});
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
  /** The steps of this instance's lab version that have a check. */
  checked: Type.Array(Type.Integer()),
  /** Where the learner is: the first step with a check that has not passed; null once every check passed (or there are none). */
  current: Type.Union([Type.Integer(), Type.Null()]),
});
export type LearnerProgress = Static<typeof LearnerProgress>;

export const ProgressStep = Type.Object({ number: Type.Integer(), title: Type.String(), checked: Type.Boolean() });
export const LabProgress = Type.Object({
  title: Type.String(),
  /** The steps of the lab as it is now (instances of older versions may have others). */
  steps: Type.Array(ProgressStep),
  learners: Type.Array(LearnerProgress),
});
export type LabProgress = Static<typeof LabProgress>;
