import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sameSitePath } from './next-path.js';

test('paths on this site are kept as they are', () => {
  for (const path of ['/', '/labs/network-basics', '/hello?x=1&y=%2F', '/a/b#step-2', '/api/me', '/~user/', '/%5Cescaped'])
    assert.equal(sameSitePath(path), path);
});

test('anything that a browser could read as another site, or that is no path, is refused', () => {
  const refused = [
    undefined,
    null,
    '',
    'labs',
    '//evil.example/',
    '/\\evil.example/',
    '\\\\evil.example/',
    '/\t/evil.example/',
    '/\n/evil.example/',
    '/\r/evil.example/',
    '/ /evil.example/',
    '/a\\b',
    'https://evil.example/',
    'javascript:alert(1)',
    ' /labs',
    '/labs\u0000',
    '/caf\u00e9',
    `/${'a'.repeat(2000)}`,
  ];
  for (const raw of refused) assert.equal(sameSitePath(raw), undefined, JSON.stringify(raw));
});
