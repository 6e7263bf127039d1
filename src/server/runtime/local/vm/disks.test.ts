import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { RuntimeError } from '../../runtime.js';
import { VmDisks } from './disks.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'labhub-disks-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

function registerBase(name: string, hash: string): void {
  mkdirSync(path.join(dataDir, 'images'), { recursive: true });
  const disk = path.join(dataDir, 'images', `${name}.qcow2`);
  rmSync(disk, { force: true });
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '16M']);
  writeFileSync(`${disk}.recipe-hash`, `${hash}\n`);
}

test('image names are file names, never paths', () => {
  for (const good of ['tiny', 'debian-12', 'my_disk.v2']) assert.ok(VmDisks.isValidName(good), good);
  for (const bad of ['', '../tiny', 'a/b', '.hidden', 'Tiny', 'a..b', 'x'.repeat(64)]) assert.ok(!VmDisks.isValidName(bad), bad);
});

test('an overlay is made once on its base, kept while the base is the same, and refused once the base was rebuilt', async () => {
  const disks = new VmDisks(dataDir);
  registerBase('base', 'one');
  const overlay = path.join(dataDir, 'overlay.qcow2');
  const base = disks.base('base');
  assert.ok(base);
  assert.equal(base.kernel, undefined);
  assert.equal(await disks.ensureOverlay(overlay, base, 'm'), true);
  const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', overlay], { encoding: 'utf8' })) as { 'backing-filename'?: string };
  assert.equal(info['backing-filename'], base.disk);
  assert.equal(await disks.ensureOverlay(overlay, base, 'm'), false);
  disks.checkOverlay(overlay, 'm');

  registerBase('base', 'two');
  const rebuilt = disks.base('base');
  assert.ok(rebuilt);
  const refused = (error: unknown) => error instanceof RuntimeError && error.kind === 'conflict' && error.machine === 'm' && /rebuilt/.test(error.message) && /Reset/.test(error.message);
  await assert.rejects(disks.ensureOverlay(overlay, rebuilt, 'm'), refused);
  assert.throws(() => disks.checkOverlay(overlay, 'm'), refused);

  disks.dropOverlay(overlay);
  assert.ok(!existsSync(overlay) && !existsSync(`${overlay}.base`));
  assert.equal(await disks.ensureOverlay(overlay, rebuilt, 'm'), true);
});

test('a bigger planned disk grows the overlay; kernel and initrd beside the disk are found', async () => {
  const disks = new VmDisks(dataDir);
  registerBase('kernelled', 'k');
  writeFileSync(path.join(dataDir, 'images', 'kernelled.vmlinuz'), '');
  writeFileSync(path.join(dataDir, 'images', 'kernelled.initrd'), '');
  const base = disks.base('kernelled');
  assert.ok(base?.kernel && base.initrd);
  const overlay = path.join(dataDir, 'big.qcow2');
  await disks.ensureOverlay(overlay, base, 'm', 64 * 1024 * 1024);
  const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', overlay], { encoding: 'utf8' })) as { 'virtual-size': number };
  assert.equal(info['virtual-size'], 64 * 1024 * 1024);
  assert.equal(disks.base('nosuch'), undefined);
});
