import { Type, type Static } from '@sinclair/typebox';
import { groupNamePattern, usernamePattern } from './lab/schema.js';

/**
 * Request and response schemas of the REST API. The server validates and serializes with
 * them (so responses never leak fields by accident) and the web client shares the types.
 */

export const Role = Type.Union([Type.Literal('admin'), Type.Literal('author'), Type.Literal('user')], {
  description: 'admin: everything; author: writes labs; user: starts labs',
});
export type Role = Static<typeof Role>;

export const Username = Type.String({
  pattern: usernamePattern,
  minLength: 1,
  maxLength: 63,
  description: 'lower-case letters, digits, dot, dash and underscore; starts with a letter or digit',
});

export const Password = Type.String({ minLength: 8, maxLength: 1024, description: 'at least 8 characters' });

export const User = Type.Object({
  username: Type.String(),
  displayName: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  role: Role,
  disabled: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
});
export type User = Static<typeof User>;

export const LoginRequest = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 200 }), password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);
export type LoginRequest = Static<typeof LoginRequest>;

export const CreateUserRequest = Type.Object(
  {
    username: Username,
    password: Password,
    role: Type.Optional(Role),
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    email: Type.Optional(Type.String({ format: 'email', maxLength: 320 })),
  },
  { additionalProperties: false },
);
export type CreateUserRequest = Static<typeof CreateUserRequest>;

export const UpdateUserRequest = Type.Object(
  {
    role: Type.Optional(Role),
    disabled: Type.Optional(Type.Boolean()),
    password: Type.Optional(Password),
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    email: Type.Optional(Type.Union([Type.String({ format: 'email', maxLength: 320 }), Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateUserRequest = Static<typeof UpdateUserRequest>;

export const UserList = Type.Object({ users: Type.Array(User) });
export type UserList = Static<typeof UserList>;

export const UsernameParams = Type.Object({ username: Type.String({ maxLength: 200 }) });

export const ErrorResponse = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Object({}, { additionalProperties: true })),
  }),
});

export const AuditEvent = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  actor: Type.Union([Type.String(), Type.Null()]),
  action: Type.String(),
  target: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  detail: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
});
export type AuditEvent = Static<typeof AuditEvent>;

export const AuditQuery = Type.Object(
  {
    actor: Type.Optional(Type.String({ maxLength: 200 })),
    action: Type.Optional(Type.String({ maxLength: 64 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
    before: Type.Optional(Type.Integer({ minimum: 1, description: 'only events older than this id (paging)' })),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'only events at or after this time' })),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'only events before this time' })),
  },
  { additionalProperties: false },
);

export const AuditList = Type.Object({ events: Type.Array(AuditEvent) });
export type AuditList = Static<typeof AuditList>;

export const GroupName = Type.String({
  pattern: groupNamePattern,
  minLength: 1,
  maxLength: 63,
  description: 'lower-case letters, digits, dot, dash and underscore; starts with a letter or digit',
});

export const Group = Type.Object({
  name: Type.String(),
  description: Type.String(),
  memberCount: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
});
export type Group = Static<typeof Group>;

export const GroupMember = Type.Object({
  username: Type.String(),
  displayName: Type.String(),
  /** admin: added by an admin; sso: from the single sign-on groups claim, synced at each login. */
  source: Type.Union([Type.Literal('admin'), Type.Literal('sso')]),
  addedAt: Type.String({ format: 'date-time' }),
});
export type GroupMember = Static<typeof GroupMember>;

export const GroupList = Type.Object({ groups: Type.Array(Group) });
export type GroupList = Static<typeof GroupList>;

export const GroupDetail = Type.Object({ group: Group, members: Type.Array(GroupMember) });
export type GroupDetail = Static<typeof GroupDetail>;

export const CreateGroupRequest = Type.Object(
  { name: GroupName, description: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
);
export type CreateGroupRequest = Static<typeof CreateGroupRequest>;

export const AddMemberRequest = Type.Object({ username: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
export type AddMemberRequest = Static<typeof AddMemberRequest>;

export const GroupParams = Type.Object({ group: Type.String({ maxLength: 200 }) });
export const GroupMemberParams = Type.Object({ group: Type.String({ maxLength: 200 }), username: Type.String({ maxLength: 200 }) });

/** The logged-in user and the groups they belong to. */
export const MeResponse = Type.Object({ user: User, groups: Type.Array(Type.String()) });
export type MeResponse = Static<typeof MeResponse>;

/** How one logs in here, for the login page (public). */
export const AuthConfig = Type.Object({
  /** Whether local accounts log in with a password. */
  localLogin: Type.Boolean(),
  /** Single sign-on, when configured: the provider's name for the button and where it starts. */
  sso: Type.Union([Type.Object({ name: Type.String(), loginUrl: Type.String() }), Type.Null()]),
});
export type AuthConfig = Static<typeof AuthConfig>;
