import { Type, type Static } from '@sinclair/typebox';

/** One host check of `labhub doctor` (docs/operating.md, "Checking the host"). */
export const DoctorCheck = Type.Object({
  id: Type.Union([
    Type.Literal('engine'),
    Type.Literal('network'),
    Type.Literal('runc'),
    Type.Literal('vm'),
    Type.Literal('images'),
    Type.Literal('disk'),
    Type.Literal('database'),
  ]),
  title: Type.String(),
  ok: Type.Boolean(),
  /** One line: what was found, or what is wrong. */
  message: Type.String(),
  /** When the check failed: the command (or setting) that fixes it. */
  fix: Type.Optional(Type.String()),
});
export type DoctorCheck = Static<typeof DoctorCheck>;
export type DoctorCheckId = DoctorCheck['id'];

export const DoctorReport = Type.Object({
  checkedAt: Type.String({ format: 'date-time' }),
  ok: Type.Boolean(),
  checks: Type.Array(DoctorCheck),
});
export type DoctorReport = Static<typeof DoctorReport>;
