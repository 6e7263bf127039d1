/** kube-sim: a test double of the Kubernetes, KubeVirt and CDI API (see README.md). */
export { startKubeSim, type KubeSim, type KubeSimOptions } from './server.js';
export { localDisk, localImage } from './controllers.js';
