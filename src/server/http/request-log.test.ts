import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactUrl } from './request-log.js';

test('secret query values are redacted, everything else is kept as it was', () => {
  assert.equal(redactUrl('/api/auth/oidc/callback?code=abc&state=def&iss=https%3A%2F%2Fid'), '/api/auth/oidc/callback?code=[redacted]&state=[redacted]&iss=https%3A%2F%2Fid');
  assert.equal(redactUrl('/__labhub-app-host/__labhub/ticket?ticket=t1&next=%2Fdocs'), '/__labhub-app-host/__labhub/ticket?ticket=[redacted]&next=%2Fdocs');
  assert.equal(redactUrl('/x?access_token=a&ID_TOKEN=b&client%5Fsecret=c&refresh-token=d'), '/x?access_token=[redacted]&ID_TOKEN=[redacted]&client%5Fsecret=[redacted]&refresh-token=[redacted]');
  assert.equal(redactUrl('/api/labs?q=net&code'), '/api/labs?q=net&code', 'a name without a value has nothing to hide');
  assert.equal(redactUrl('/api/labs'), '/api/labs');
  assert.equal(redactUrl('/a?%E0%A4%A=1&barcode=2'), '/a?%E0%A4%A=1&barcode=2', 'undecodable names and names merely containing "code" stay');
});
