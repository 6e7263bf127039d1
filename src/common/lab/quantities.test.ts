import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBytes, formatDuration, parseBytes, parseCpu, parseDuration } from './quantities.js';

test('durations: units combine largest first', () => {
  assert.equal(parseDuration('90m'), 5400);
  assert.equal(parseDuration('2h'), 7200);
  assert.equal(parseDuration('1h30m'), 5400);
  assert.equal(parseDuration('45s'), 45);
  assert.equal(parseDuration('1d2h3m4s'), 93784);
  for (const bad of ['', '90', 'm', '1.5h', '30m1h', '2 h', '1h1h', '-1m', '2H']) assert.equal(parseDuration(bad), undefined, bad);
});

test('durations format back to their shortest text', () => {
  for (const text of ['90m', '2h', '1h30m', '45s', '1d2h3m4s']) assert.equal(parseDuration(formatDuration(parseDuration(text) ?? 0)), parseDuration(text));
  assert.equal(formatDuration(5400), '1h30m');
  assert.equal(formatDuration(0), '0s');
});

test('CPU amounts become millicores', () => {
  assert.equal(parseCpu(1), 1000);
  assert.equal(parseCpu(0.5), 500);
  assert.equal(parseCpu('500m'), 500);
  assert.equal(parseCpu('0.25'), 250);
  assert.equal(parseCpu('2'), 2000);
  assert.equal(parseCpu('.5'), 500);
  for (const bad of ['', 'm', '1 cpu', '1.5m', '-1', '1e3', '0.0001']) assert.equal(parseCpu(bad), undefined, bad);
  assert.equal(parseCpu(Number.NaN), undefined);
});

test('sizes need a unit and become bytes', () => {
  assert.equal(parseBytes('512Mi'), 512 * 1024 ** 2);
  assert.equal(parseBytes('1Gi'), 1024 ** 3);
  assert.equal(parseBytes('1.5Gi'), 1.5 * 1024 ** 3);
  assert.equal(parseBytes('500M'), 500e6);
  assert.equal(parseBytes('4k'), 4000);
  for (const bad of ['512', '512mi', '1GB', '1 Gi', 'Gi', '512m', '-1Gi']) assert.equal(parseBytes(bad), undefined, bad);
  assert.equal(formatBytes(256 * 1024 ** 2), '256Mi');
  assert.equal(formatBytes(1536), '1536');
});
