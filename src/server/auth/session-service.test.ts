import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { freshStore } from '../../../test/support/app.js';
import { SessionRepository } from '../store/sessions.js';
import type { Store } from '../store/store.js';
import { UserRepository } from '../store/users.js';
import { SessionService } from './session-service.js';

let store: Store;
let dispose: () => Promise<void>;
before(async () => {
  ({ store, dispose } = await freshStore('sqlite'));
});
after(() => dispose());

const policy = { absoluteMs: 10_000, idleMs: 3_000, touchEveryMs: 1_000 };

async function setup() {
  let now = 1_000_000;
  const users = new UserRepository(store.db);
  const user = await users.create({ username: `u${Math.random().toString(36).slice(2, 10)}`, role: 'user', passwordHash: null });
  assert.ok(user);
  const service = new SessionService(new SessionRepository(store.db), users, policy, () => now);
  return { service, users, user, advance: (ms: number) => (now += ms) };
}

test('a session resolves to its user until it has been idle too long', async () => {
  const { service, user, advance } = await setup();
  const { token } = await service.create(user.id, {});
  assert.equal((await service.resolve(token))?.id, user.id);
  advance(2_000);
  assert.equal((await service.resolve(token))?.id, user.id, 'activity keeps it alive');
  advance(2_999);
  assert.equal((await service.resolve(token))?.id, user.id);
  advance(3_000);
  assert.equal(await service.resolve(token), undefined, 'idle for the whole idle period');
});

test('a session ends at its absolute expiry even when used', async () => {
  const { service, user, advance } = await setup();
  const { token, expiresAt } = await service.create(user.id, {});
  for (let i = 0; i < 4; i++) {
    advance(2_400);
    assert.ok(await service.resolve(token));
  }
  advance(expiresAt - 1_000_000 - 4 * 2_400);
  assert.equal(await service.resolve(token), undefined);
});

test('revoked sessions, sessions of disabled users and malformed tokens resolve to nothing', async () => {
  const { service, users, user } = await setup();
  const first = await service.create(user.id, {});
  await service.revoke(first.token);
  assert.equal(await service.resolve(first.token), undefined);
  const second = await service.create(user.id, {});
  await users.update(user.id, { disabled: true });
  assert.equal(await service.resolve(second.token), undefined);
  assert.equal(await service.resolve('../../etc/passwd'), undefined);
});

test('only a hash of the token is stored', async () => {
  const { service, user } = await setup();
  const { token } = await service.create(user.id, {});
  const rows = await store.db.selectFrom('sessions').select('id_hash').execute();
  assert.ok(rows.every((row) => row.id_hash !== token && /^[0-9a-f]{64}$/.test(row.id_hash)));
});
