import { engineSocket, localTarget } from './local-target.js';
import { runtimeConformance } from './suite.js';

runtimeConformance(localTarget('local (Podman)', async () => engineSocket, { vms: true }));
