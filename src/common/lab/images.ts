/**
 * The base images labhub builds (docs/architecture.md §4, `images/`) and what each provides. The lab
 * validator uses it to refuse `desktop` access on a container whose image runs no VNC server;
 * images labhub does not know declare their VNC port in the lab (`vncPort`), see
 * docs/decisions/0001-lab-desktop-images.md.
 */

export interface ContainerImageCapabilities {
  description: string;
  /** TCP port of the image's VNC server (RFB, no password), or null when it has no desktop. */
  vncPort: number | null;
}

export const knownContainerImages: Readonly<Record<string, ContainerImageCapabilities>> = {
  'labhub/shell': { description: 'Debian minimal with bash, coreutils, procps, iproute2 and editors', vncPort: null },
  'labhub/desktop': { description: 'labhub/shell with a TigerVNC desktop (Openbox, a terminal emulator)', vncPort: 5900 },
};

export interface VmDiskCapabilities {
  description: string;
}

/** VM disks the local runtime builds by name (`disk: {image: tiny}`). */
export const knownVmDisks: Readonly<Record<string, VmDiskCapabilities>> = {
  tiny: { description: 'Debian kernel + busybox: serial login and VGA console, boots in seconds without KVM' },
  debian: { description: 'Debian with systemd, a serial getty and cloud-init' },
};

/**
 * What labhub knows about a container image reference: `labhub/desktop`, `labhub/desktop:latest`
 * and `localhost/labhub/desktop:1` (how Podman names an imported image) are all labhub/desktop.
 */
export function containerImageCapabilities(reference: string): ContainerImageCapabilities | undefined {
  const withoutDigest = reference.split('@')[0] ?? reference;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  const repository = colon > lastSlash ? withoutDigest.slice(0, colon) : withoutDigest;
  const name = repository.replace(/^(localhost|docker\.io)\//, '');
  return Object.hasOwn(knownContainerImages, name) ? knownContainerImages[name] : undefined;
}
