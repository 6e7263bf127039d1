import { createHash } from 'node:crypto';

/**
 * The host firewall rules that keep an instance network's machines away from the host
 * (docs/decisions/0017-local-egress-firewall.md): pure builders of iptables-restore text, so
 * what labhub installs is read and tested without a kernel.
 *
 * Rules live in the `mangle` table. netavark and Docker write theirs in `filter` and `nat`
 * (and re-insert them at the top of FORWARD when they make a network); mangle runs before
 * filter on every hook, so an ACCEPT of theirs can never come before a DROP of ours.
 */

/** One instance network as the firewall sees it. */
export interface GuardedNetwork {
  instanceId: string;
  /** The host's bridge interface of the network (`lh-…`, `podmanN`, `br-…`). */
  bridge: string;
  /** The bridge's own address on the network: its DNS resolver (aardvark-dns) answers there. */
  gateway: string | undefined;
  egress: 'allow' | 'deny';
}

/**
 * IPv4 destinations no machine reaches, whatever `egress` says: "this network", private ranges
 * (other instances' networks and the host's LANs), CGNAT, loopback, link-local (cloud metadata
 * at 169.254.169.254), multicast, reserved and broadcast. The Kubernetes runtime's
 * NetworkPolicy excepts the same ranges (kubernetes/builders/network-policy.ts).
 */
export const blockedRanges = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '224.0.0.0/4',
  '240.0.0.0/4',
] as const;

/** The chains of one engine's networks: a short tag keeps engines sharing a host (Podman and Docker) apart. */
export interface FirewallChains {
  input: string;
  forward: string;
  /** The instance's own chains, jumped to from `input` and `forward` for packets of its bridge. */
  instanceInput(instanceId: string): string;
  instanceForward(instanceId: string): string;
  /** The input chain's partner, for chains found on the host (`…-I` → `…-F`); undefined for any other chain. */
  forwardOf(inputChain: string): string | undefined;
}

/** Chain names are at most 28 characters (xtables' limit): `LH-<tag>-<id>-I` fits a 12-character instance id. */
export function firewallChains(engineKey: string): FirewallChains {
  const tag = createHash('sha256').update(engineKey).digest('hex').slice(0, 6);
  const id = (instanceId: string) => (/^[a-z0-9]{1,14}$/.test(instanceId) ? instanceId : createHash('sha256').update(instanceId).digest('hex').slice(0, 14));
  return {
    input: `LABHUB-${tag}-INPUT`,
    forward: `LABHUB-${tag}-FORWARD`,
    instanceInput: (instanceId) => `LH-${tag}-${id(instanceId)}-I`,
    instanceForward: (instanceId) => `LH-${tag}-${id(instanceId)}-F`,
    forwardOf: (inputChain) => (inputChain.startsWith(`LH-${tag}-`) && inputChain.endsWith('-I') ? `${inputChain.slice(0, -2)}-F` : undefined),
  };
}

export type IpFamily = 'ipv4' | 'ipv6';

/** The rules of one network's two chains (without the jumps to them), in iptables-restore syntax. */
export function instanceRules(chains: FirewallChains, network: GuardedNetwork, family: IpFamily, hostSubnets: string[]): string[] {
  const input = chains.instanceInput(network.instanceId);
  const forward = chains.instanceForward(network.instanceId);
  const br = network.bridge;
  const rules =
    family === 'ipv4'
      ? [
          // To the host itself (any of its addresses): answers to what the host started, and DNS at the gateway.
          `-A ${input} -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN`,
          ...(network.gateway
            ? ['udp', 'tcp'].map((protocol) => `-A ${input} -d ${network.gateway}/32 -p ${protocol} -m ${protocol} --dport 53 -j RETURN`)
            : []),
          `-A ${input} -j DROP`,
          // Through the host: within the network (bridged frames, when br_netfilter shows them), answers coming back in.
          `-A ${forward} -i ${br} -o ${br} -j RETURN`,
          `-A ${forward} -o ${br} -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN`,
          `-A ${forward} -o ${br} -j DROP`,
          ...[...blockedRanges, ...hostSubnets].map((range) => `-A ${forward} -d ${range} -j DROP`),
          ...(network.egress === 'deny' ? [`-A ${forward} -j DROP`] : []),
        ]
      : [
          // Instance networks have no IPv6 subnet: IPv6 (the host's link-local address on the bridge included) goes nowhere but the network itself.
          `-A ${input} -j DROP`,
          `-A ${forward} -i ${br} -o ${br} -j RETURN`,
          `-A ${forward} -j DROP`,
        ];
  // The first rule of each chain names what the chain holds: re-asserting compares it, not iptables' rendering of each rule.
  const fingerprint = createHash('sha256').update(rules.join('\n')).digest('hex').slice(0, 16);
  return [`-A ${input} -m comment --comment labhub:${fingerprint}`, `-A ${forward} -m comment --comment labhub:${fingerprint}`, ...rules];
}

/** The jumps into a network's chains from the engine's chains. */
export function instanceJumps(chains: FirewallChains, network: Pick<GuardedNetwork, 'instanceId' | 'bridge'>): string[] {
  const br = network.bridge;
  return [
    `-A ${chains.input} -i ${br} -j ${chains.instanceInput(network.instanceId)}`,
    `-A ${chains.forward} -i ${br} -j ${chains.instanceForward(network.instanceId)}`,
    `-A ${chains.forward} -o ${br} -j ${chains.instanceForward(network.instanceId)}`,
  ];
}

/**
 * The host's own IPv4 subnets (its LANs) not already blocked, from `os.networkInterfaces()`
 * CIDRs: a LAN on public or documentation addresses is no more a learner's business than a
 * private one.
 */
export function hostLanSubnets(cidrs: string[]): string[] {
  const subnets = new Set<string>();
  for (const cidr of cidrs) {
    const parsed = parseIpv4Cidr(cidr);
    if (!parsed || parsed.bits === 0) continue;
    const network = `${formatIpv4(parsed.address & mask(parsed.bits))}/${parsed.bits}`;
    if (!blockedRanges.some((range) => contains(range, network))) subnets.add(network);
  }
  return [...subnets].sort();
}

function contains(outer: string, inner: string): boolean {
  const a = parseIpv4Cidr(outer);
  const b = parseIpv4Cidr(inner);
  if (!a || !b || b.bits < a.bits) return false;
  return ((a.address ^ b.address) & mask(a.bits)) === 0;
}

function mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

function parseIpv4Cidr(cidr: string): { address: number; bits: number } | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const bits = Number(match[5]);
  if (octets.some((octet) => octet > 255) || bits > 32) return undefined;
  return { address: octets.reduce((sum, octet) => sum * 256 + octet, 0) >>> 0, bits };
}

function formatIpv4(address: number): string {
  return [24, 16, 8, 0].map((shift) => ((address >>> shift) & 0xff).toString()).join('.');
}
