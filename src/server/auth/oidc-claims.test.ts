import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admitClaims, usernameFrom } from './oidc-claims.js';

const policy = { allowedDomains: ['corp.com'], groupsClaim: 'groups' };
const verified = { sub: 's1', email: 'ann@corp.com', email_verified: true };

test('email_verified must be the boolean true', () => {
  for (const value of [false, 'true', 1, null, undefined]) {
    assert.deepEqual(admitClaims({ ...verified, email_verified: value }, policy), { ok: false, reason: 'email_unverified' }, String(value));
  }
  assert.equal(admitClaims(verified, policy).ok, true);
});

test('allowed domains match the part after the last @ exactly, ignoring case', () => {
  for (const email of ['ann@exploitcorp.com', 'ann@corp.com.evil.io', 'ann@corp.com@evil.io', 'ann@sub.corp.com', 'ann@corp.co', 'corp.com@evil.io']) {
    assert.deepEqual(admitClaims({ ...verified, email }, policy), { ok: false, reason: 'domain_not_allowed' }, email);
  }
  for (const email of ['ann@corp.com', 'Ann@CORP.COM', 'a@b@corp.com']) assert.equal(admitClaims({ ...verified, email }, policy).ok, true, email);
  assert.equal(admitClaims({ ...verified, email: 'ann@anything.org' }, { ...policy, allowedDomains: undefined }).ok, true);
});

test('a missing or malformed email, or a missing sub, is refused', () => {
  assert.deepEqual(admitClaims({ sub: 's1', email_verified: true }, policy), { ok: false, reason: 'email_missing' });
  assert.deepEqual(admitClaims({ ...verified, email: ['ann@corp.com'] }, policy), { ok: false, reason: 'email_missing' });
  assert.deepEqual(admitClaims({ ...verified, email: '@corp.com' }, policy), { ok: false, reason: 'email_missing' });
  assert.deepEqual(admitClaims({ ...verified, sub: '' }, policy), { ok: false, reason: 'provider_error' });
  assert.deepEqual(admitClaims({ ...verified, sub: 'x'.repeat(256) }, policy), { ok: false, reason: 'provider_error' });
  assert.deepEqual(admitClaims({ ...verified, email: `${'a'.repeat(320)}@corp.com` }, policy), { ok: false, reason: 'email_missing' });
});

test('groups come from the configured claim, as a string or a list, lower-cased', () => {
  const groupsOf = (groups: unknown, claim?: string) => {
    const verdict = admitClaims({ ...verified, groups }, { ...policy, groupsClaim: claim });
    return verdict.ok ? verdict.identity.groups : assert.fail('refused');
  };
  assert.deepEqual(groupsOf(['Course-A', 'course-a', 7, ' b '], 'groups'), ['course-a', 'b']);
  assert.deepEqual(groupsOf('Staff', 'groups'), ['staff']);
  assert.deepEqual(groupsOf({ a: 1 }, 'groups'), []);
  assert.deepEqual(groupsOf(['a']), [], 'no groups claim configured');
});

test('usernames are made valid from preferred_username or the email', () => {
  assert.equal(usernameFrom('Ann.Lee'), 'ann.lee');
  assert.equal(usernameFrom('ann lee@corp.com'), 'ann-lee');
  assert.equal(usernameFrom('__x__'), 'x');
  assert.equal(usernameFrom('日本'), undefined);
  assert.ok((usernameFrom('a'.repeat(200)) ?? '').length <= 56);
  const verdict = admitClaims({ ...verified, preferred_username: '日本' }, policy);
  assert.equal(verdict.ok && verdict.identity.preferredUsername, 'ann');
});
