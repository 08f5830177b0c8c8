// Which network interfaces count. Every byte a container sends shows on its
// veth, again on the docker0 (or br-*) bridge and once more on eth0; libvirt's
// virbr*, tun/wg tunnels, VLANs and bonds repeat traffic the same way. Only a
// physical interface carries a byte once, and the kernel says which those are:
// a physical (or paravirtual: virtio, ENA, netfront) interface has its device
// linked at /sys/class/net/<name>/device, a virtual one has none.
//
// An operator can name the interfaces instead (idle.networkInterfaces, with
// "*" wildcards); that list replaces the default. A machine where no interface
// has a device (a container, a network namespace) falls back to every
// interface but lo, as before this filter existed: better to count a byte twice
// than to call a busy machine idle.
//
// The answer per name is kept, so a sample costs a lookup per interface and a
// filesystem check only for names not seen before; a name that goes away is
// forgotten, so one that comes back is checked again.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** How the counted interfaces were chosen: shown in the status. */
export type InterfaceBasis = 'physical' | 'configured' | 'all';

export interface InterfaceChoice {
  readonly counted: readonly string[];
  readonly basis: InterfaceBasis;
}

/** "ens*" → /^ens.*$/; every other character stands for itself. */
export function interfacePattern(pattern: string): RegExp {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`);
}

export class InterfaceSelector {
  readonly #root: string;
  #patterns: readonly RegExp[] | null = null;
  readonly #physical = new Map<string, boolean>();

  constructor(root: string) {
    this.#root = root;
  }

  /** null: the physical interfaces; else the interfaces matching one of `patterns`. */
  setPatterns(patterns: readonly string[] | null): void {
    this.#patterns = patterns === null ? null : patterns.map(interfacePattern);
  }

  isPhysical(name: string): boolean {
    let known = this.#physical.get(name);
    if (known === undefined) {
      known = existsSync(join(this.#root, 'sys/class/net', name, 'device'));
      this.#physical.set(name, known);
    }
    return known;
  }

  /** The interfaces of `names` (loopback already left out) whose traffic counts. */
  choose(names: readonly string[]): InterfaceChoice {
    const patterns = this.#patterns;
    if (patterns !== null) return { counted: names.filter((name) => patterns.some((p) => p.test(name))), basis: 'configured' };
    this.#forgetGone(names);
    const physical = names.filter((name) => this.isPhysical(name));
    return physical.length > 0 || names.length === 0 ? { counted: physical, basis: 'physical' } : { counted: names, basis: 'all' };
  }

  #forgetGone(names: readonly string[]): void {
    if (this.#physical.size === 0) return;
    const present = new Set(names);
    // Deleting the entry being visited is safe in a Map's iteration.
    for (const name of this.#physical.keys()) if (!present.has(name)) this.#physical.delete(name);
  }
}
