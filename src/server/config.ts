import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

/** labhub's configuration (DESIGN.md §8). Environment variables win over the YAML file named by `LABHUB_CONFIG`. */
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
