import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { RuntimeError } from '../runtime.js';
import { firewallChains, hostLanSubnets, instanceJumps, instanceRules, type FirewallChains, type GuardedNetwork, type IpFamily } from './firewall-rules.js';

/** The iptables tools of one address family. */
interface FamilyTools {
  family: IpFamily;
  iptables: string;
  restore: string;
}

/** How often a batch is tried again when another writer changed the table between reading and writing it. */
const attempts = 3;

/**
 * The host firewall of the local runtime (docs/decisions/0017-local-egress-firewall.md): for
 * each instance network, chains in the `mangle` table that drop what its machines send to the
 * host (but DNS at the gateway), to private, link-local and other reserved ranges, and into
 * the network from outside; with `egress: deny`, everything that would leave it. Each change is
 * one iptables-restore transaction per address family, so a network is never half guarded.
 */
export class HostFirewall {
  private readonly chains: FirewallChains;
  private tools: FamilyTools[] | undefined;
  /** Set once the tools have read the firewall (they run as root). */
  private verified = false;

  /** `engineKey` names the engine whose networks these are (its socket): engines sharing a host keep their own chains. */
  constructor(
    engineKey: string,
    private readonly log?: FastifyBaseLogger,
  ) {
    this.chains = firewallChains(engineKey);
  }

  /** Fails with one sentence when the tools are missing or cannot read the firewall (not root): checked before an instance network is made. */
  async ready(): Promise<void> {
    if (this.verified) return;
    for (const tools of this.requireTools()) await MangleTable.read(tools);
    this.verified = true;
  }

  /** Installs (or replaces) the rules of one network, and labhub's chains when missing. Throws a RuntimeError naming what is missing. */
  async guard(network: GuardedNetwork): Promise<void> {
    await this.change((family, table) => this.guardBatch(family, table, [network]));
  }

  /** Removes the rules of an instance's network; nothing when there are none. */
  async unguard(instanceId: string): Promise<void> {
    if (!this.available()) return;
    await this.change((_family, table) => this.removalBatch(table, [this.chains.instanceInput(instanceId)]));
  }

  /**
   * Makes the rules agree with the engine's instance networks: rules of each network are put back
   * when missing or different (someone flushed them, the host's LANs changed), and rules whose
   * network is gone are removed. `before` are the chains seen before the networks were listed, so
   * a network made (and guarded) meanwhile is never taken for a stale one.
   */
  async sync(networks: GuardedNetwork[], before: Set<string>): Promise<void> {
    if (!this.available()) return;
    const live = new Set(networks.map((network) => this.chains.instanceInput(network.instanceId)));
    await this.change((family, table) => {
      const stale = table.chainNames.filter((chain) => this.chains.forwardOf(chain) && !live.has(chain) && before.has(chain));
      return [...this.guardBatch(family, table, networks, true), ...this.removalBatch(table, stale)];
    });
  }

  /** The instance chains present now (for `sync`'s `before`). */
  async chainsNow(): Promise<Set<string>> {
    if (!this.available()) return new Set();
    const tools = this.requireTools()[0] as FamilyTools;
    return new Set((await MangleTable.read(tools)).chainNames);
  }

  /** Whether the tools exist here, without failing (removal and sync need nothing when they do not). */
  private available(): boolean {
    try {
      this.requireTools();
      return true;
    } catch {
      return false;
    }
  }

  /** Reads each family's mangle table, builds a batch from it and applies it, again when a concurrent writer made it fail. */
  private async change(batch: (family: IpFamily, table: MangleTable) => string[]): Promise<void> {
    for (const tools of this.requireTools()) {
      for (let attempt = 1; ; attempt++) {
        const table = await MangleTable.read(tools);
        const lines = batch(tools.family, table);
        if (lines.length === 0) break;
        const result = await run(tools.restore, ['-w', '--noflush'], `*mangle\n${lines.join('\n')}\nCOMMIT\n`);
        if (result.code === 0) break;
        if (attempt === attempts) {
          throw new RuntimeError(
            'failed',
            `labhub could not install the firewall rules that keep machines away from this host: ${path.basename(tools.restore)} said "${firstLine(result.stderr)}".`,
          );
        }
        this.log?.warn({ family: tools.family, stderr: firstLine(result.stderr) }, 'firewall change failed; reading the table again');
      }
    }
  }

  /** Lines that install `networks` (all of them, or with `onlyWhenDifferent` those whose chains or jumps differ) and labhub's own chains and hooks. */
  private guardBatch(family: IpFamily, table: MangleTable, networks: GuardedNetwork[], onlyWhenDifferent = false): string[] {
    const lines: string[] = [];
    for (const [chain, hook] of [
      [this.chains.input, 'INPUT'],
      [this.chains.forward, 'FORWARD'],
    ] as const) {
      // Never `:chain` here: declaring flushes, and another writer may have filled it meanwhile. `-N`
      // fails when the chain appeared since the table was read, and the batch is read and built again.
      if (!table.hasChain(chain)) lines.push(`-N ${chain}`);
      const hooks = table.rules.filter((rule) => rule === `-A ${hook} -j ${chain}`).length;
      if (hooks === 0) lines.push(`-I ${hook} 1 -j ${chain}`);
      // Two writers that both found the hook missing insert it twice: one is enough.
      for (let extra = 1; extra < hooks; extra++) lines.push(`-D ${hook} -j ${chain}`);
    }
    const lans = family === 'ipv4' ? hostLanSubnets(ipv4Cidrs()) : [];
    for (const network of networks) {
      const rules = instanceRules(this.chains, network, family, lans);
      const jumps = instanceJumps(this.chains, network);
      const chainNames = [this.chains.instanceInput(network.instanceId), this.chains.instanceForward(network.instanceId)];
      const current = table.jumpsTo(chainNames);
      const unchanged = chainNames.every(
        (chain, i) =>
          table.firstRule(chain)?.replaceAll('"', '') === rules[i] && table.ruleCount(chain) === rules.filter((rule) => rule.startsWith(`-A ${chain} `)).length,
      );
      if (onlyWhenDifferent && unchanged && sameSet(current, jumps)) continue;
      lines.push(...current.map((jump) => jump.replace(/^-A /, '-D ')));
      lines.push(...chainNames.map((chain) => `:${chain} - [0:0]`), ...rules, ...jumps);
    }
    return lines;
  }

  /** Lines that remove the instance chains named by their input chains, and every jump to them. */
  private removalBatch(table: MangleTable, inputChains: string[]): string[] {
    const lines: string[] = [];
    for (const input of inputChains) {
      const chainNames = [input, this.chains.forwardOf(input) ?? input].filter((chain, i, all) => table.hasChain(chain) && all.indexOf(chain) === i);
      if (chainNames.length === 0) continue;
      lines.push(...table.jumpsTo(chainNames).map((jump) => jump.replace(/^-A /, '-D ')));
      // Declaring a chain in a --noflush batch empties it; then it can go.
      lines.push(...chainNames.map((chain) => `:${chain} - [0:0]`), ...chainNames.map((chain) => `-X ${chain}`));
    }
    return lines;
  }

  /** iptables (and ip6tables when the host has IPv6), found on PATH; a RuntimeError in one sentence when missing. */
  private requireTools(): FamilyTools[] {
    if (this.tools) return this.tools;
    const families: IpFamily[] = existsSync('/proc/net/if_inet6') ? ['ipv4', 'ipv6'] : ['ipv4'];
    const tools = families.map((family) => {
      const prefix = family === 'ipv4' ? 'iptables' : 'ip6tables';
      const iptables = findOnPath(prefix);
      const restore = findOnPath(`${prefix}-restore`);
      if (!iptables || !restore) {
        throw new RuntimeError(
          'unsupported',
          `labhub keeps learners' machines away from this host with ${prefix}, which is not installed here (Debian package "iptables"), so no instance can start.`,
        );
      }
      return { family, iptables, restore };
    });
    this.tools = tools;
    return tools;
  }
}

/** One family's mangle table as `iptables -S` prints it. */
class MangleTable {
  private constructor(readonly rules: string[]) {}

  static async read(tools: FamilyTools): Promise<MangleTable> {
    const result = await run(tools.iptables, ['-w', '-t', 'mangle', '-S']);
    if (result.code !== 0) {
      throw new RuntimeError(
        'failed',
        `labhub could not read this host's firewall with ${path.basename(tools.iptables)}, which it needs to keep machines away from the host: "${firstLine(result.stderr)}".`,
      );
    }
    return new MangleTable(result.stdout.split('\n').filter((line) => line.trim()));
  }

  get chainNames(): string[] {
    return this.rules.filter((line) => line.startsWith('-N ')).map((line) => line.slice(3).trim());
  }

  hasChain(chain: string): boolean {
    return this.rules.includes(`-N ${chain}`);
  }

  firstRule(chain: string): string | undefined {
    return this.rules.find((line) => line.startsWith(`-A ${chain} `));
  }

  ruleCount(chain: string): number {
    return this.rules.filter((line) => line.startsWith(`-A ${chain} `)).length;
  }

  /** The rules that jump to any of `chains`, as printed. */
  jumpsTo(chains: string[]): string[] {
    return this.rules.filter((line) => line.startsWith('-A ') && chains.some((chain) => line.endsWith(` -j ${chain}`)));
  }
}

function ipv4Cidrs(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((address) => address && address.family === 'IPv4' && !address.internal && address.cidr)
    .map((address) => address?.cidr as string);
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && b.every((line) => a.includes(line));
}

function findOnPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], input?: string): Promise<RunResult> {
  if (input === undefined) {
    return new Promise((resolve) => {
      execFile(command, args, { encoding: 'utf8', maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr: stderr || (error?.message ?? '') });
      });
    });
  }
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => resolve({ code: 1, stdout, stderr: error.message }));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input);
  });
}
