import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseBytes, parseCpu } from '../common/lab/quantities.js';

/** labhub's configuration (docs/architecture.md §8). Environment variables win over the YAML file named by `LABHUB_CONFIG`. */
export interface Config {
  port: number;
  /** The one origin browsers use, without a trailing slash (e.g. `http://localhost:8080`). */
  publicUrl: string;
  dataDir: string;
  /** `postgres://…` for replicas; undefined means SQLite in the data dir. */
  databaseUrl: string | undefined;
  runtime: 'local' | 'kubernetes';
  labsDir: string;
  /** Password of the first admin; undefined means one is generated and printed once. */
  adminPassword: string | undefined;
  appsDomain: string | undefined;
  /** The local runtime's Docker-compatible engine API socket (Podman or Docker). */
  engineSocket: string;
  /** Kubernetes runtime: the registry holding labhub's own images (`labhub/shell`, `labhub/tiny-disk`, …), e.g. `registry.example.org/labhub-images`. */
  kubeImageRegistry: string | undefined;
  /** Kubernetes runtime: the namespace labhub runs in; undefined: the service account's (in a cluster), else the kubeconfig context's, else `labhub`. */
  kubeNamespace: string | undefined;
  /** Single sign-on: the OpenID Connect issuer URL; undefined turns single sign-on off. */
  oidcIssuer: string | undefined;
  oidcClientId: string | undefined;
  /** The provider's name on the login button ("Sign in with …"); undefined: the issuer's host name. */
  oidcName: string | undefined;
  /** Undefined for a public client (PKCE only). */
  oidcClientSecret: string | undefined;
  /** Scopes asked for, space-separated; always includes `openid`. */
  oidcScopes: string;
  /** A claim (string or list of strings) whose values name labhub groups; undefined: groups are not synced. */
  oidcGroupsClaim: string | undefined;
  /** Lower-case email domains admitted through single sign-on, matched exactly; undefined admits every domain. */
  oidcAllowedDomains: string[] | undefined;
  /** Whether local accounts may log in with a password. */
  localLogin: boolean;
  /** Default quota of each user (groups may raise it): instances at the same time, and the cpu (millicores) and memory (bytes) of their running ones. */
  quotaInstances: number;
  quotaCpuMillis: number;
  quotaMemoryBytes: number;
  /**
   * The proxies whose `X-Forwarded-*` headers are believed: every peer (`true`), a number of proxy
   * hops in front of labhub, or proxy addresses and CIDR ranges. `false`: the headers are ignored
   * and a request's client is the peer that connected.
   */
  trustProxy: boolean | number | string[];
  /** A bearer token that reads `/metrics` (Prometheus); undefined: only admins' sessions do. */
  metricsToken: string | undefined;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Every setting: its environment variable, its key in the YAML file and how to read it. */
const settings = {
  port: { env: 'LABHUB_PORT', parse: parsePort, default: 8080 },
  publicUrl: { env: 'LABHUB_PUBLIC_URL', parse: parsePublicUrl, default: 'http://localhost:8080' },
  dataDir: { env: 'LABHUB_DATA_DIR', parse: parseText, default: './data' },
  databaseUrl: { env: 'LABHUB_DATABASE_URL', parse: parseDatabaseUrl, default: undefined },
  runtime: { env: 'LABHUB_RUNTIME', parse: parseRuntime, default: 'local' },
  labsDir: { env: 'LABHUB_LABS_DIR', parse: parseText, default: './labs' },
  adminPassword: { env: 'LABHUB_ADMIN_PASSWORD', parse: parseAdminPassword, default: undefined },
  appsDomain: { env: 'LABHUB_APPS_DOMAIN', parse: parseAppsDomain, default: undefined },
  engineSocket: { env: 'LABHUB_ENGINE_SOCKET', parse: parseText, default: '/run/podman/podman.sock' },
  kubeImageRegistry: { env: 'LABHUB_KUBE_IMAGE_REGISTRY', parse: parseImageRegistry, default: undefined },
  kubeNamespace: { env: 'LABHUB_KUBE_NAMESPACE', parse: parseNamespace, default: undefined },
  oidcIssuer: { env: 'LABHUB_OIDC_ISSUER', parse: parseIssuer, default: undefined },
  oidcClientId: { env: 'LABHUB_OIDC_CLIENT_ID', parse: parseText, default: undefined },
  oidcName: { env: 'LABHUB_OIDC_NAME', parse: parseText, default: undefined },
  oidcClientSecret: { env: 'LABHUB_OIDC_CLIENT_SECRET', parse: parseText, default: undefined },
  oidcScopes: { env: 'LABHUB_OIDC_SCOPES', parse: parseScopes, default: 'openid email profile' },
  oidcGroupsClaim: { env: 'LABHUB_OIDC_GROUPS_CLAIM', parse: parseText, default: undefined },
  oidcAllowedDomains: { env: 'LABHUB_OIDC_ALLOWED_DOMAINS', parse: parseDomains, default: undefined },
  localLogin: { env: 'LABHUB_LOCAL_LOGIN', parse: parseBoolean, default: true },
  quotaInstances: { env: 'LABHUB_QUOTA_INSTANCES', parse: parseCount, default: 3 },
  quotaCpuMillis: { env: 'LABHUB_QUOTA_CPU', parse: parseCpuQuota, default: 4000 },
  quotaMemoryBytes: { env: 'LABHUB_QUOTA_MEMORY', parse: parseMemoryQuota, default: 8 * 1024 ** 3 },
  trustProxy: { env: 'LABHUB_TRUST_PROXY', parse: parseTrustProxy, default: false },
  metricsToken: { env: 'LABHUB_METRICS_TOKEN', parse: parseMetricsToken, default: undefined },
} as const satisfies { [K in keyof Config]: { env: string; parse: (raw: string, name: string) => Config[K]; default: Config[K] } };

/**
 * Reads the configuration from `env` (and the YAML file it names), resolving relative
 * paths against `cwd`. Throws ConfigError naming the variable at the first bad value.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const file = env.LABHUB_CONFIG ? readConfigFile(path.resolve(cwd, env.LABHUB_CONFIG)) : {};
  const config = {} as Record<keyof Config, unknown>;
  for (const [key, setting] of Object.entries(settings) as [keyof Config, (typeof settings)[keyof Config]][]) {
    const fromEnv = env[setting.env];
    const fromFile = file[key];
    const raw = fromEnv !== undefined && fromEnv !== '' ? fromEnv : fromFile;
    const name = fromEnv !== undefined && fromEnv !== '' ? setting.env : `${key} (in ${env.LABHUB_CONFIG})`;
    config[key] = raw === undefined ? setting.default : (setting.parse as (raw: string, name: string) => unknown)(raw, name);
  }
  const result = config as unknown as Config;
  result.dataDir = path.resolve(cwd, result.dataDir);
  result.labsDir = path.resolve(cwd, result.labsDir);
  if (result.oidcIssuer !== undefined && result.oidcClientId === undefined) throw new ConfigError('LABHUB_OIDC_CLIENT_ID must be set when LABHUB_OIDC_ISSUER is');
  if (result.oidcIssuer === undefined && result.oidcClientId !== undefined) throw new ConfigError('LABHUB_OIDC_ISSUER must be set when LABHUB_OIDC_CLIENT_ID is');
  if (result.appsDomain !== undefined) assertSeparateSite(result.appsDomain, new URL(result.publicUrl).hostname);
  if (!result.localLogin && result.oidcIssuer === undefined) {
    throw new ConfigError('LABHUB_LOCAL_LOGIN=false needs single sign-on (LABHUB_OIDC_ISSUER and LABHUB_OIDC_CLIENT_ID): nobody could log in otherwise');
  }
  return result;
}

function readConfigFile(file: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`LABHUB_CONFIG: cannot read ${file}: ${(error as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`LABHUB_CONFIG: ${file} must hold a mapping of settings`);
  const known = new Set(Object.keys(settings));
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!known.has(key)) throw new ConfigError(`LABHUB_CONFIG: unknown setting "${key}" in ${file} (known: ${[...known].join(', ')})`);
    if (value === null || typeof value === 'object') throw new ConfigError(`LABHUB_CONFIG: setting "${key}" in ${file} must be a string or number`);
    result[key] = String(value);
  }
  return result;
}

function parseCount(raw: string, name: string): number {
  const count = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || count < 1 || count > 10_000) throw new ConfigError(`${name} must be a whole number from 1 to 10000, got "${raw}"`);
  return count;
}

function parseCpuQuota(raw: string, name: string): number {
  const millis = parseCpu(raw.trim());
  if (millis === undefined || millis < 100) throw new ConfigError(`${name} must be a cpu amount of at least 0.1 (e.g. "4" or "2500m"), got "${raw}"`);
  return millis;
}

function parseMemoryQuota(raw: string, name: string): number {
  const bytes = parseBytes(raw.trim());
  if (bytes === undefined || bytes < 64 * 1024 ** 2) throw new ConfigError(`${name} must be a memory amount of at least 64Mi (e.g. "8Gi"), got "${raw}"`);
  return bytes;
}

function parseText(raw: string, name: string): string {
  if (raw.trim() === '') throw new ConfigError(`${name} must not be empty`);
  return raw;
}

function parsePort(raw: string, name: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || port < 0 || port > 65535) throw new ConfigError(`${name} must be a port number (0-65535), got "${raw}"`);
  return port;
}

function parsePublicUrl(raw: string, name: string): string {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new ConfigError(`${name} must be an absolute http(s) URL like http://localhost:8080, got "${raw}"`);
  }
  if (url.pathname !== '/' || url.search || url.hash) throw new ConfigError(`${name} must be an origin without a path, got "${raw}"`);
  return url.origin;
}

function parseDatabaseUrl(raw: string, name: string): string {
  if (!/^postgres(ql)?:\/\//.test(raw)) throw new ConfigError(`${name} must be a postgres:// URL (leave it unset for SQLite)`);
  return raw;
}

function parseRuntime(raw: string, name: string): Config['runtime'] {
  if (raw !== 'local' && raw !== 'kubernetes') throw new ConfigError(`${name} must be "local" or "kubernetes", got "${raw}"`);
  return raw;
}

function parseAdminPassword(raw: string, name: string): string {
  if (raw.length < 8) throw new ConfigError(`${name} must be at least 8 characters long`);
  return raw;
}

function parseAppsDomain(raw: string, name: string): string {
  const domain = raw.trim().toLowerCase().replace(/^\*\./, '');
  if (!/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{1,63}$|^localhost$/.test(domain)) {
    throw new ConfigError(`${name} must be a domain name like apps.example.org, got "${raw}"`);
  }
  return domain;
}

/**
 * Apps on their own hosts are only apart from labhub when they are another site: hosts of one
 * registrable domain may set cookies for each other (`Domain=`), so an app could plant a session
 * cookie on labhub's host. The registrable domain is approximated by the last two labels, which is
 * never narrower than the real one: the check can refuse two sites under a public suffix of two
 * labels (`a.co.uk` and `b.co.uk`), never let through two hosts of one site.
 */
function assertSeparateSite(appsDomain: string, publicHost: string): void {
  const siteOf = (host: string) => (/^[\d.]+$|:|^\[/.test(host) ? host : host.toLowerCase().replace(/\.$/, '').split('.').slice(-2).join('.'));
  if (siteOf(appsDomain) === siteOf(publicHost)) {
    throw new ConfigError(
      `LABHUB_APPS_DOMAIN (${appsDomain}) must not share a registrable domain with LABHUB_PUBLIC_URL (${publicHost}): apps there could set cookies for labhub. Use a domain of its own, e.g. apps.example-labs.net for labs.example.org`,
    );
  }
}

/** An https issuer; plain http only on this machine (a provider started by tests or for development). */
function parseIssuer(raw: string, name: string): string {
  let url: URL | undefined;
  try {
    url = new URL(raw.trim());
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) || url.search || url.hash) {
    throw new ConfigError(`${name} must be the provider's https:// issuer URL (http:// only for localhost), got "${raw}"`);
  }
  // Kept as written: it must equal the `issuer` the provider announces, trailing slash or not.
  return raw.trim();
}

export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

function parseScopes(raw: string, name: string): string {
  const scopes = raw.trim().split(/[\s,]+/).filter(Boolean);
  if (!scopes.every((scope) => /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope))) throw new ConfigError(`${name} must be scopes separated by spaces, got "${raw}"`);
  if (!scopes.includes('openid')) throw new ConfigError(`${name} must include openid, got "${raw}"`);
  return [...new Set(scopes)].join(' ');
}

function parseDomains(raw: string, name: string): string[] {
  const domains = raw.split(/[\s,]+/).filter(Boolean).map((domain) => domain.toLowerCase());
  const bad = domains.find((domain) => !/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{1,63}$/.test(domain));
  if (domains.length === 0 || bad !== undefined) throw new ConfigError(`${name} must be email domains separated by commas, like example.org,students.example.org; got "${bad ?? raw}"`);
  return [...new Set(domains)];
}

function parseBoolean(raw: string, name: string): boolean {
  const value = raw.trim().toLowerCase();
  if (value === 'true' || value === '1' || value === 'yes') return true;
  if (value === 'false' || value === '0' || value === 'no') return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function parseImageRegistry(raw: string, name: string): string {
  const registry = raw.trim().replace(/\/+$/, '');
  // A host (with an optional port) and an optional path, as it goes in front of `labhub/shell`: no scheme, no tag.
  if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/.test(registry)) {
    throw new ConfigError(`${name} must be a registry host with an optional path, like registry.example.org/labhub-images (no scheme, no tag), got "${raw}"`);
  }
  return registry;
}

function parseNamespace(raw: string, name: string): string {
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(raw)) throw new ConfigError(`${name} must be a namespace name (a DNS label), got "${raw}"`);
  return raw;
}

/** proxy-addr's names for address ranges, as Fastify accepts them. */
const namedRanges = new Set(['loopback', 'linklocal', 'uniquelocal']);

function parseTrustProxy(raw: string, name: string): Config['trustProxy'] {
  const value = raw.trim().toLowerCase();
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops < 1 || hops > 10) throw new ConfigError(`${name} must be a number of proxy hops from 1 to 10, got "${raw}"`);
    return hops;
  }
  const entries = value.split(/[\s,]+/).filter(Boolean);
  const bad = entries.find((entry) => !namedRanges.has(entry) && !isAddressOrRange(entry));
  if (entries.length === 0 || bad !== undefined) {
    throw new ConfigError(`${name} must be true, a number of proxy hops, or proxy addresses and CIDR ranges separated by commas (like 10.0.0.0/8,::1); got "${bad ?? raw}"`);
  }
  return [...new Set(entries)];
}

function isAddressOrRange(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

function parseMetricsToken(raw: string, name: string): string {
  const token = raw.trim();
  // What an `Authorization: Bearer` header can carry (RFC 6750 b64token), long enough not to be guessed.
  if (!/^[A-Za-z0-9._~+/-]+=*$/.test(token) || token.length < 16) {
    throw new ConfigError(`${name} must be at least 16 characters of letters, digits and -._~+/ (e.g. from \`openssl rand -hex 32\`), got ${token.length} characters`);
  }
  return token;
}
