import type Docker from 'dockerode';
import { labelKeys } from '../naming.js';
import { RuntimeError } from '../runtime.js';
import type { GuardedNetwork } from './firewall-rules.js';

/** Docker's option naming a bridge network's host interface; Podman honours it at create too. */
export const bridgeNameOption = 'com.docker.network.bridge.name';

/** What the engine says of a network (a listing or an inspect). */
type EngineNetwork = Pick<Docker.NetworkInspectInfo, 'Name' | 'Id' | 'Driver' | 'Internal' | 'IPAM' | 'Options' | 'Labels'>;

/** Podman's own (libpod) view of a network: its compatible API leaves the bridge's name out. */
interface LibpodNetwork {
  name: string;
  network_interface?: string;
  subnets?: { gateway?: string }[];
}

/**
 * The instance networks among `networks` as the host firewall guards them: each one's bridge
 * interface and gateway from the engine's own data (Docker: the bridge option or `br-<id>`;
 * Podman: its libpod API), and its egress from `Internal`.
 */
export async function guardedNetworks(docker: Docker, networks: EngineNetwork[]): Promise<GuardedNetwork[]> {
  const libpod = networks.length > 0 ? await libpodNetworks(docker) : new Map<string, LibpodNetwork>();
  return networks.flatMap((network) => {
    const instanceId = network.Labels?.[labelKeys.instance];
    if (!instanceId) return [];
    const podman = libpod.get(network.Name);
    const bridge =
      network.Options?.[bridgeNameOption] || podman?.network_interface || (network.Driver === 'bridge' ? `br-${network.Id.slice(0, 12)}` : undefined);
    if (!bridge) return [];
    const gateway = network.IPAM?.Config?.[0]?.Gateway || podman?.subnets?.[0]?.gateway || undefined;
    return [{ instanceId, bridge, gateway, egress: network.Internal ? 'deny' : 'allow' } satisfies GuardedNetwork];
  });
}

/** The network `name` of the engine, as the firewall guards it; fails when the engine says nothing of its bridge. */
export async function guardedNetwork(docker: Docker, name: string): Promise<GuardedNetwork> {
  const network = (await docker.getNetwork(name).inspect()) as EngineNetwork;
  const [guarded] = await guardedNetworks(docker, [network]);
  if (!guarded)
    throw new RuntimeError('failed', `The engine's network "${name}" has no bridge on this host that labhub could guard (driver "${network.Driver}").`);
  return guarded;
}

/** Podman's networks by name; empty from Docker (which has no libpod API). */
async function libpodNetworks(docker: Docker): Promise<Map<string, LibpodNetwork>> {
  const listed = await new Promise<unknown>((resolve) => {
    docker.modem.dial({ path: '/v4.0.0/libpod/networks/json', method: 'GET', statusCodes: { 200: true }, options: {} }, (error, result) =>
      resolve(error ? [] : result),
    );
  });
  return new Map((Array.isArray(listed) ? (listed as LibpodNetwork[]) : []).map((network) => [network.name, network]));
}
