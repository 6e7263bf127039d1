import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appHostSetCookies, isLabhubCookie, setCookieName, withoutLabhubCookies } from './app-cookies.js';

const labhub = ['labhub_session', 'labhub_app', 'labhub_sso'];

test('a cookie name is read as browsers read it', () => {
  assert.equal(setCookieName('labhub_session =x; Path=/'), 'labhub_session');
  assert.equal(setCookieName(' \tlabhub_session\t= x'), 'labhub_session');
  assert.equal(setCookieName('=labhub_app=x'), '');
  assert.equal(setCookieName('labhub_app'), '');
  assert.equal(setCookieName('a=b=c; Domain=x'), 'a');
});

test("labhub's names are recognised whatever their case or prefix", () => {
  for (const name of ['labhub_session', 'LABHUB_SESSION', '__Host-labhub_session', '__host-Labhub_Session', '__Secure-labhub_app', 'labhub_sso'])
    assert.ok(isLabhubCookie(name, labhub), name);
  for (const name of ['labhub_sessions', 'session', 'x-labhub_session', '__Host-theme']) assert.ok(!isLabhubCookie(name, labhub), name);
});

test("an app host's cookies: labhub's names and nameless cookies dropped, Domain removed, the rest untouched", () => {
  const kept = appHostSetCookies(
    [
      'app=1; Path=/',
      'labhub_session =shadowed; Path=/',
      '=labhub_app=nameless; Path=/',
      'LABHUB_APP=x',
      '__Host-labhub_app=y; Secure; Path=/',
      'bare',
      'wide=1; Domain=apps.test; Path=/',
      'wider=2;domain=.apps.test;HttpOnly',
    ],
    labhub,
  );
  assert.deepEqual(kept, ['app=1; Path=/', 'wide=1; Path=/', 'wider=2; HttpOnly']);
});

test("labhub's cookies never reach an app, however the browser spelled them", () => {
  assert.equal(
    withoutLabhubCookies('theme=dark; labhub_session=a;labhub_app =b; __Host-labhub_session=c; LABHUB_SSO=d; other=e', labhub),
    'theme=dark; other=e',
  );
  assert.equal(withoutLabhubCookies('labhub_session=a', labhub), '');
  assert.equal(withoutLabhubCookies(undefined, labhub), '');
});
