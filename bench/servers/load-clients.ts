/**
 * Many terminal viewers in a process of their own, so that they load the gateway and not the
 * client that measures it. Reads a JSON file named by BENCH_LOAD ({urls, cookie, origin}), opens
 * every WebSocket (50 at a time), reads and drops what arrives, and prints one JSON line when all
 * are open. On "report" it prints the bytes received since the last report; stdin closing ends it.
 */
import { readFileSync } from 'node:fs';
import readline from 'node:readline';
import WebSocket from 'ws';

const { urls, cookie, origin } = JSON.parse(readFileSync(process.env.BENCH_LOAD as string, 'utf8')) as { urls: string[]; cookie: string; origin: string };
const sockets: WebSocket[] = [];
let failed = 0;
let received = 0;
let firstError = '';

const open = (url: string) =>
  new Promise<void>((resolve) => {
    const ws = new WebSocket(url, { headers: { cookie, origin }, perMessageDeflate: false });
    ws.on('message', (data: Buffer) => {
      received += data.length;
    });
    ws.once('open', () => {
      sockets.push(ws);
      resolve();
    });
    ws.once('error', (error) => {
      failed++;
      firstError ||= error.message;
      resolve();
    });
    ws.once('unexpected-response', (_request, response) => {
      failed++;
      firstError ||= `upgrade refused with ${response.statusCode}`;
      resolve();
    });
  });

const started = performance.now();
const queue = [...urls];
await Promise.all(
  Array.from({ length: 50 }, async () => {
    for (let url = queue.shift(); url; url = queue.shift()) await open(url);
  }),
);
process.stdout.write(`${JSON.stringify({ ready: true, opened: sockets.length, failed, firstError, openMs: performance.now() - started })}\n`);

let lastReport = performance.now();
readline.createInterface({ input: process.stdin })
  .on('line', (command) => {
    if (command !== 'report') return;
    const at = performance.now();
    const closed = sockets.filter((ws) => ws.readyState !== WebSocket.OPEN).length;
    process.stdout.write(`${JSON.stringify({ bytes: received, seconds: (at - lastReport) / 1000, closed })}\n`);
    received = 0;
    lastReport = at;
  })
  .on('close', () => {
    for (const ws of sockets) ws.terminate();
    process.exit(0);
  });
process.on('SIGTERM', () => {
  for (const ws of sockets) ws.terminate();
  process.exit(0);
});
