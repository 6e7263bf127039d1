/** What the local runtime tests share: the engine socket, a data dir and container machine plans. */
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectEngine, defaultEngineSocket } from '../../src/server/runtime/local/engine.js';
import { ImageBuilder } from '../../src/server/runtime/local/images.js';
import type { ContainerMachinePlan } from '../../src/server/runtime/runtime.js';

export const engineSocket = process.env.LABHUB_ENGINE_SOCKET ?? defaultEngineSocket;
export const dataDir = path.join(tmpdir(), 'labhub-conformance');

export function containerMachine(name: string, image: string, extra: Partial<ContainerMachinePlan> = {}): ContainerMachinePlan {
  return { name, type: 'container', image, resources: { cpuMillis: 500, memoryBytes: 256 * 1024 * 1024 }, env: {}, httpPorts: [], vncPort: null, ...extra };
}


/** The engine answering (started if need be) with labhub/shell built: for tests that use the engine directly. */
export async function engineWithShellImage(): Promise<void> {
  await connectEngine(engineSocket, { start: true });
  const images = new ImageBuilder(() => connectEngine(engineSocket, { start: true }), dataDir);
  await images.ensure('labhub/shell', () => {});
}
