import { existsSync, readFileSync } from 'node:fs';
import type { FastifyBaseLogger } from 'fastify';
import { ConfigError, type Config } from '../config.js';
import { KubeApi } from './kubernetes/kube-api.js';
import { KubeRuntime } from './kubernetes/kube-runtime.js';
import { LocalRuntime } from './local/local-runtime.js';
import type { Runtime } from './runtime.js';

/** Where a Pod finds the namespace of its service account. */
const serviceAccountNamespaceFile = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** The runtime `LABHUB_RUNTIME` names. */
export function createRuntime(config: Config, log: FastifyBaseLogger): Runtime {
  if (config.runtime === 'kubernetes') {
    let api: KubeApi;
    try {
      api = KubeApi.fromDefault();
    } catch (error) {
      throw new ConfigError(`LABHUB_RUNTIME=kubernetes: no usable kubeconfig (KUBECONFIG, ~/.kube/config or an in-cluster service account): ${(error as Error).message}`);
    }
    const labhubNamespace =
      config.kubeNamespace ?? (existsSync(serviceAccountNamespaceFile) ? readFileSync(serviceAccountNamespaceFile, 'utf8').trim() : undefined) ?? api.currentNamespace ?? 'labhub';
    return new KubeRuntime({ api, settings: { imageRegistry: config.kubeImageRegistry, labhubNamespace }, log });
  }
  return new LocalRuntime({ engineSocket: config.engineSocket, dataDir: config.dataDir, log });
}
