import type { FastifyBaseLogger } from 'fastify';
import { ConfigError, type Config } from '../config.js';
import { LocalRuntime } from './local/local-runtime.js';
import type { Runtime } from './runtime.js';

/** The runtime `LABHUB_RUNTIME` names. */
export function createRuntime(config: Config, log: FastifyBaseLogger): Runtime {
  if (config.runtime === 'kubernetes') {
    throw new ConfigError('LABHUB_RUNTIME=kubernetes: the Kubernetes runtime is not part of this version yet; use "local".');
  }
  return new LocalRuntime({ engineSocket: config.engineSocket, dataDir: config.dataDir, log });
}
