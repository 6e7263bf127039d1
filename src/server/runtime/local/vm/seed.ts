import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Writes a cloud-init NoCloud seed into `dir` (`user-data` as the lab gives it, `meta-data`
 * with the instance id and hostname); the launcher turns it into the `cidata` ISO the guest's
 * cloud-init reads. The directory is mounted read-only into the launcher. Rewritten on every
 * create, so a reset machine gets the lab's current data.
 */
export function writeSeed(dir: string, instanceId: string, machine: string, userData: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'user-data'), userData.endsWith('\n') ? userData : `${userData}\n`);
  // JSON is YAML: no quoting questions, whatever the names hold.
  writeFileSync(path.join(dir, 'meta-data'), `${JSON.stringify({ 'instance-id': `${instanceId}-${machine}`, 'local-hostname': machine })}\n`);
}
