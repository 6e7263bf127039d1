import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from './config.js';

test('defaults match DESIGN.md §8', () => {
  const config = loadConfig({}, '/srv/labhub');
  assert.deepEqual(config, {
    port: 8080,
    publicUrl: 'http://localhost:8080',
    dataDir: '/srv/labhub/data',
    databaseUrl: undefined,
    runtime: 'local',
    labsDir: '/srv/labhub/labs',
    adminPassword: undefined,
    appsDomain: undefined,
    engineSocket: '/run/podman/podman.sock',
  });
});

test('environment variables are read and normalized', () => {
  const config = loadConfig(
    {
      LABHUB_PORT: '9000',
      LABHUB_PUBLIC_URL: 'https://labs.example.org/',
      LABHUB_DATA_DIR: '/var/lib/labhub',
      LABHUB_DATABASE_URL: 'postgres://u:p@db/labhub',
      LABHUB_RUNTIME: 'kubernetes',
      LABHUB_LABS_DIR: 'mylabs',
      LABHUB_ADMIN_PASSWORD: 'long enough',
      LABHUB_APPS_DOMAIN: '*.Apps.Example.org',
    },
    '/srv',
  );
  assert.equal(config.port, 9000);
  assert.equal(config.publicUrl, 'https://labs.example.org');
  assert.equal(config.dataDir, '/var/lib/labhub');
  assert.equal(config.labsDir, '/srv/mylabs');
  assert.equal(config.runtime, 'kubernetes');
  assert.equal(config.appsDomain, 'apps.example.org');
});

test('a YAML file fills what the environment leaves unset', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'labhub-config-'));
  writeFileSync(path.join(dir, 'labhub.yaml'), 'port: 7000\npublicUrl: http://labs.local:7000\nlabsDir: /opt/labs\n');
  const config = loadConfig({ LABHUB_CONFIG: 'labhub.yaml', LABHUB_LABS_DIR: '/env/labs' }, dir);
  assert.equal(config.port, 7000);
  assert.equal(config.publicUrl, 'http://labs.local:7000');
  assert.equal(config.labsDir, '/env/labs', 'the environment wins');
});

test('bad values name the variable', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ LABHUB_PORT: 'eighty' }, /LABHUB_PORT must be a port number/],
    [{ LABHUB_PORT: '70000' }, /LABHUB_PORT/],
    [{ LABHUB_PUBLIC_URL: 'localhost:8080' }, /LABHUB_PUBLIC_URL must be an absolute http\(s\) URL/],
    [{ LABHUB_PUBLIC_URL: 'http://x.org/labhub' }, /LABHUB_PUBLIC_URL must be an origin without a path/],
    [{ LABHUB_PUBLIC_URL: 'ftp://x.org' }, /LABHUB_PUBLIC_URL must be an absolute http\(s\) URL/],
    [{ LABHUB_RUNTIME: 'docker' }, /LABHUB_RUNTIME must be "local" or "kubernetes"/],
    [{ LABHUB_DATABASE_URL: 'mysql://db' }, /LABHUB_DATABASE_URL must be a postgres:\/\/ URL/],
    [{ LABHUB_ADMIN_PASSWORD: 'short' }, /LABHUB_ADMIN_PASSWORD must be at least 8/],
    [{ LABHUB_APPS_DOMAIN: 'not a domain' }, /LABHUB_APPS_DOMAIN must be a domain/],
  ];
  for (const [env, message] of cases) assert.throws(() => loadConfig(env, '/'), (error: unknown) => error instanceof ConfigError && message.test(error.message));
});

test('a config file with an unknown key or a missing file is refused clearly', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'labhub-config-'));
  writeFileSync(path.join(dir, 'bad.yaml'), 'prot: 7000\n');
  assert.throws(() => loadConfig({ LABHUB_CONFIG: 'bad.yaml' }, dir), /unknown setting "prot"/);
  assert.throws(() => loadConfig({ LABHUB_CONFIG: 'missing.yaml' }, dir), /LABHUB_CONFIG: cannot read/);
});
