import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from './config.js';

test('defaults match docs/architecture.md §8', () => {
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
    kubeImageRegistry: undefined,
    kubeNamespace: undefined,
    oidcIssuer: undefined,
    oidcClientId: undefined,
    oidcName: undefined,
    oidcClientSecret: undefined,
    oidcScopes: 'openid email profile',
    oidcGroupsClaim: undefined,
    oidcAllowedDomains: undefined,
    localLogin: true,
    quotaInstances: 3,
    quotaCpuMillis: 4000,
    quotaMemoryBytes: 8 * 1024 ** 3,
    trustProxy: false,
    metricsToken: undefined,
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
      LABHUB_APPS_DOMAIN: '*.Apps.Example-Labs.net',
    },
    '/srv',
  );
  assert.equal(config.port, 9000);
  assert.equal(config.publicUrl, 'https://labs.example.org');
  assert.equal(config.dataDir, '/var/lib/labhub');
  assert.equal(config.labsDir, '/srv/mylabs');
  assert.equal(config.runtime, 'kubernetes');
  assert.equal(config.appsDomain, 'apps.example-labs.net');
});

test('Kubernetes runtime settings are read', () => {
  const config = loadConfig({ LABHUB_KUBE_IMAGE_REGISTRY: 'registry.example.org:5000/labhub-images/', LABHUB_KUBE_NAMESPACE: 'labs' }, '/');
  assert.equal(config.kubeImageRegistry, 'registry.example.org:5000/labhub-images');
  assert.equal(config.kubeNamespace, 'labs');
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
    [{ LABHUB_PUBLIC_URL: 'https://labs.example.org', LABHUB_APPS_DOMAIN: 'apps.example.org' }, /LABHUB_APPS_DOMAIN \(apps\.example\.org\) must not share a registrable domain/],
    [{ LABHUB_PUBLIC_URL: 'https://labs.example.org', LABHUB_APPS_DOMAIN: 'apps.labs.example.org' }, /must not share a registrable domain/],
    [{ LABHUB_PUBLIC_URL: 'https://example.org', LABHUB_APPS_DOMAIN: 'example.org' }, /must not share a registrable domain/],
    [{ LABHUB_PUBLIC_URL: 'https://labs.example.org.', LABHUB_APPS_DOMAIN: 'x.Example.ORG' }, /must not share a registrable domain/],
    [{ LABHUB_KUBE_IMAGE_REGISTRY: 'https://registry.example.org' }, /LABHUB_KUBE_IMAGE_REGISTRY must be a registry host/],
    [{ LABHUB_KUBE_IMAGE_REGISTRY: 'registry.example.org/labhub:1.0' }, /LABHUB_KUBE_IMAGE_REGISTRY/],
    [{ LABHUB_KUBE_NAMESPACE: 'Labhub_NS' }, /LABHUB_KUBE_NAMESPACE must be a namespace name/],
  ];
  for (const [env, message] of cases) assert.throws(() => loadConfig(env, '/'), (error: unknown) => error instanceof ConfigError && message.test(error.message));
});

test('a config file with an unknown key or a missing file is refused clearly', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'labhub-config-'));
  writeFileSync(path.join(dir, 'bad.yaml'), 'prot: 7000\n');
  assert.throws(() => loadConfig({ LABHUB_CONFIG: 'bad.yaml' }, dir), /unknown setting "prot"/);
  assert.throws(() => loadConfig({ LABHUB_CONFIG: 'missing.yaml' }, dir), /LABHUB_CONFIG: cannot read/);
});

test('single sign-on settings are read and normalized', () => {
  const config = loadConfig(
    {
      LABHUB_OIDC_ISSUER: 'https://id.example.org/realms/school',
      LABHUB_OIDC_CLIENT_ID: 'labhub',
      LABHUB_OIDC_CLIENT_SECRET: 's3cret',
      LABHUB_OIDC_SCOPES: 'openid,email  groups openid',
      LABHUB_OIDC_GROUPS_CLAIM: 'groups',
      LABHUB_OIDC_ALLOWED_DOMAINS: 'Example.org, students.example.org',
      LABHUB_LOCAL_LOGIN: 'false',
    },
    '/',
  );
  assert.equal(config.oidcIssuer, 'https://id.example.org/realms/school');
  assert.equal(config.oidcScopes, 'openid email groups');
  assert.deepEqual(config.oidcAllowedDomains, ['example.org', 'students.example.org']);
  assert.equal(config.localLogin, false);
  assert.equal(loadConfig({ LABHUB_OIDC_ISSUER: 'https://tenant.example.com/', LABHUB_OIDC_CLIENT_ID: 'x' }, '/').oidcIssuer, 'https://tenant.example.com/', 'kept as written: it must equal the announced issuer');
  assert.equal(loadConfig({ LABHUB_OIDC_ISSUER: 'http://127.0.0.1:9000', LABHUB_OIDC_CLIENT_ID: 'x' }, '/').oidcIssuer, 'http://127.0.0.1:9000', 'plain http on this machine only');
});

test('bad single sign-on settings name the variable', () => {
  const sso = { LABHUB_OIDC_ISSUER: 'https://id.example.org', LABHUB_OIDC_CLIENT_ID: 'labhub' };
  const cases: [Record<string, string>, RegExp][] = [
    [{ LABHUB_OIDC_ISSUER: 'http://id.example.org', LABHUB_OIDC_CLIENT_ID: 'x' }, /LABHUB_OIDC_ISSUER must be the provider's https:\/\/ issuer URL/],
    [{ LABHUB_OIDC_ISSUER: 'id.example.org', LABHUB_OIDC_CLIENT_ID: 'x' }, /LABHUB_OIDC_ISSUER/],
    [{ LABHUB_OIDC_ISSUER: 'https://id.example.org' }, /LABHUB_OIDC_CLIENT_ID must be set when LABHUB_OIDC_ISSUER is/],
    [{ LABHUB_OIDC_CLIENT_ID: 'x' }, /LABHUB_OIDC_ISSUER must be set/],
    [{ ...sso, LABHUB_OIDC_SCOPES: 'email profile' }, /LABHUB_OIDC_SCOPES must include openid/],
    [{ ...sso, LABHUB_OIDC_ALLOWED_DOMAINS: 'corp.com, not a domain' }, /LABHUB_OIDC_ALLOWED_DOMAINS must be email domains/],
    [{ ...sso, LABHUB_OIDC_ALLOWED_DOMAINS: '@corp.com' }, /LABHUB_OIDC_ALLOWED_DOMAINS/],
    [{ ...sso, LABHUB_LOCAL_LOGIN: 'nope' }, /LABHUB_LOCAL_LOGIN must be true or false/],
    [{ LABHUB_LOCAL_LOGIN: 'false' }, /LABHUB_LOCAL_LOGIN=false needs single sign-on/],
  ];
  for (const [env, message] of cases) assert.throws(() => loadConfig(env, '/'), (error: unknown) => error instanceof ConfigError && message.test(error.message), JSON.stringify(env));
});

test('quotas: amounts as lab files write them; bad ones name the variable', () => {
  const config = loadConfig({ LABHUB_QUOTA_INSTANCES: '10', LABHUB_QUOTA_CPU: '2500m', LABHUB_QUOTA_MEMORY: '16Gi' }, '/srv');
  assert.deepEqual([config.quotaInstances, config.quotaCpuMillis, config.quotaMemoryBytes], [10, 2500, 16 * 1024 ** 3]);
  assert.throws(() => loadConfig({ LABHUB_QUOTA_INSTANCES: '0' }, '/srv'), /LABHUB_QUOTA_INSTANCES/);
  assert.throws(() => loadConfig({ LABHUB_QUOTA_CPU: 'lots' }, '/srv'), /LABHUB_QUOTA_CPU/);
  assert.throws(() => loadConfig({ LABHUB_QUOTA_MEMORY: '12' }, '/srv'), /LABHUB_QUOTA_MEMORY/);
});

test('LABHUB_TRUST_PROXY: true, a hop count, or proxy addresses and ranges; bad entries are named', () => {
  const trust = (value: string) => loadConfig({ LABHUB_TRUST_PROXY: value }, '/').trustProxy;
  assert.equal(trust('true'), true);
  assert.equal(trust('False'), false);
  assert.equal(trust('2'), 2);
  assert.deepEqual(trust('10.0.0.0/8, 192.168.1.7,fd00::/8 loopback'), ['10.0.0.0/8', '192.168.1.7', 'fd00::/8', 'loopback']);
  for (const bad of ['0', '11', 'yes', '10.0.0.0/33', '10.0.0/8', 'proxy.example.org', '::1/129', '1.2.3.4/8/8', ',']) {
    assert.throws(() => trust(bad), (error: unknown) => error instanceof ConfigError && /^LABHUB_TRUST_PROXY must be/.test(error.message), bad);
  }
});

test('LABHUB_METRICS_TOKEN: a bearer token of at least 16 characters, never echoed when refused', () => {
  assert.equal(loadConfig({ LABHUB_METRICS_TOKEN: ' 0123456789abcdef0123 ' }, '/').metricsToken, '0123456789abcdef0123');
  for (const bad of ['short-token', 'sixteen chars with spaces', 'token-with-"quote"-inside']) {
    assert.throws(
      () => loadConfig({ LABHUB_METRICS_TOKEN: bad }, '/'),
      (error: unknown) => error instanceof ConfigError && /^LABHUB_METRICS_TOKEN must be at least 16 characters/.test(error.message) && !error.message.includes(bad),
      bad,
    );
  }
});
