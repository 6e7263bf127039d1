import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { kubeCloudInitSecretName, kubeDiskName, kubeHomeClaimName, kubeLabelValue, kubeMachineName, kubeNamespaceName, newInstanceId, safeName } from './naming.js';

const dnsLabel = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

test('valid DNS labels are kept as they are', () => {
  assert.equal(safeName('router'), 'router');
  assert.equal(safeName('a'.repeat(63)), 'a'.repeat(63));
});

test('anything else becomes a slug with a hash', () => {
  assert.match(safeName('Web Server!'), /^web-server--[0-9a-f]{8}$/);
  assert.match(safeName('---'), /^x--[0-9a-f]{8}$/);
  assert.equal(safeName('a'.repeat(64)).length, 63);
});

test('names are always DNS labels within the limit and distinct inputs never collide', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 100 }), fc.string({ maxLength: 100 }), fc.integer({ min: 12, max: 63 }), (a, b, max) => {
      const na = safeName(a, max);
      const nb = safeName(b, max);
      assert.match(na, dnsLabel);
      assert.ok(na.length <= max);
      if (a !== b) assert.notEqual(na, nb);
    }),
    { numRuns: 2000 },
  );
});

test('a name that looks like a slug is hashed again, so it cannot collide with one', () => {
  const slug = safeName('Web Server!');
  assert.notEqual(safeName(slug), slug);
});

test('instance ids are DNS labels starting with a letter', () => {
  for (let i = 0; i < 200; i++) assert.match(newInstanceId(), /^[a-z][a-z2-7]{11}$/);
});

test('Kubernetes names are DNS labels within 63 characters, and distinct machines never share one', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 100 }), fc.string({ maxLength: 100 }), (a, b) => {
      for (const name of [kubeNamespaceName, kubeMachineName, kubeDiskName, kubeHomeClaimName, kubeCloudInitSecretName]) {
        const na = name(a);
        assert.match(na, dnsLabel);
        assert.ok(na.length <= 63);
        if (a !== b) assert.notEqual(na, name(b));
      }
      // A VM's disk and a container's home are both claims in one namespace.
      assert.notEqual(kubeDiskName(a), kubeHomeClaimName(b));
    }),
    { numRuns: 2000 },
  );
  assert.equal(kubeNamespaceName('abcdefghijkl'), 'labhub-abcdefghijkl');
  assert.equal(kubeMachineName('router'), 'router');
  assert.equal(kubeDiskName('router'), 'router-disk');
  assert.equal(kubeHomeClaimName('desk'), 'desk-home');
});

test('Kubernetes label values are valid, kept when already valid, and distinct inputs never collide', () => {
  const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
  assert.equal(kubeLabelValue('Alice.Smith_2'), 'Alice.Smith_2');
  assert.match(kubeLabelValue('alice@example.org'), /^alice-example-org--[0-9a-f]{8}$/);
  fc.assert(
    fc.property(fc.string({ maxLength: 100 }), fc.string({ maxLength: 100 }), (a, b) => {
      const va = kubeLabelValue(a);
      assert.match(va, labelValue);
      assert.ok(va.length <= 63);
      if (a !== b) assert.notEqual(va, kubeLabelValue(b));
    }),
    { numRuns: 2000 },
  );
});
