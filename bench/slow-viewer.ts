/**
 * A shared terminal with watchers that stop reading (docs/decisions/0018): the owner's output
 * throughput of `yes | head -n 2000000` alone and beside stalled watchers, and the memory the
 * server holds per stalled watcher. Real local runtime (Podman), the server in this process.
 *
 *   npm run build && npx tsx bench/slow-viewer.ts [stalled watchers, default 10]
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import type WebSocket from 'ws';
import { client, connect, startLab } from '../test/support/gateway-client.js';
import { startServer } from '../test/support/server.js';

v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;
const liveMemory = () => {
  collectGarbage();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
};

const watchers = Number(process.argv[2] ?? 10);
const server = await startServer({ env: { LABHUB_LABS_DIR: new URL('../labs', import.meta.url).pathname } });
const admin = await client(server, 'admin', server.adminPassword);
await admin.api('POST', '/api/admin/users', { username: 'ann', password: 'ann-password' });
await admin.api('POST', '/api/admin/users', { username: 'bob', password: 'bob-password' });
const ann = await client(server, 'ann', 'ann-password');
const bob = await client(server, 'bob', 'bob-password');
const id = await startLab(ann, 'shell');
await ann.api('POST', `/api/instances/${id}/shares`, { username: 'bob', access: 'view' });
const url = `${server.url.replace('http', 'ws')}/api/instances/${id}/machines/shell/terminal`;

/** A socket that counts what it gets and resolves `until` once `marker` went by. */
async function reader(who: typeof ann) {
  const ws = (await connect(url, { cookie: who.cookie, origin: server.url })) as WebSocket;
  let bytes = 0;
  let tail = '';
  const waiters = new Set<() => void>();
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return;
    bytes += data.length;
    tail = (tail + data.toString('latin1')).slice(-256);
    for (const waiter of waiters) waiter();
  });
  const until = (marker: string) =>
    new Promise<void>((resolve) => {
      const check = () => tail.includes(marker) && (waiters.delete(check), resolve());
      waiters.add(check);
      check();
    });
  return { ws, until, bytes: () => bytes };
}

console.log(`instance ${id} running`);
/** The owner's terminal once it answers (the first exec session of a container that just started may end at once under load). */
async function ownerTerminal() {
  for (;;) {
    const candidate = await reader(ann);
    candidate.ws.send('echo READY$((1+1))\r');
    const answered = await Promise.race([
      candidate.until('READY2').then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 20_000)),
    ]);
    if (answered) return candidate;
    candidate.ws.terminate();
  }
}
const owner = await ownerTerminal();

let run = 0;
async function flood(label: string): Promise<void> {
  run++;
  const before = owner.bytes();
  const started = process.hrtime.bigint();
  owner.ws.send(`yes | head -n 2000000; echo DONE-$((${run}*1000))\r`);
  await owner.until(`DONE-${run * 1000}`);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const mb = (owner.bytes() - before) / 1e6;
  console.log(`${label}: ${mb.toFixed(1)} MB to the owner in ${seconds.toFixed(2)} s = ${(mb / seconds).toFixed(2)} MB/s`);
}

await flood('warm-up');
await flood('owner alone');
await flood('owner alone');
const stalled = [];
for (let i = 0; i < watchers; i++) {
  const watcher = await reader(bob);
  await watcher.until('DONE-');
  watcher.ws.pause();
  stalled.push(watcher);
}
const base = liveMemory();
await flood(`owner beside ${watchers} stalled watchers`);
await flood(`owner beside ${watchers} stalled watchers`);
const held = liveMemory() - base;
console.log(
  `server-side memory held by ${watchers} stalled watchers after the floods: ${(held / 1024 / 1024).toFixed(2)} MiB (${(held / watchers / 1024).toFixed(0)} KiB each)`,
);
for (const watcher of stalled) watcher.ws.terminate();
await ann.api('DELETE', `/api/instances/${id}`);
await new Promise((resolve) => setTimeout(resolve, 1000));
await server.close();
process.exit(0);
