// The kernel's text files about cgroups, read as data. Pure: the I/O is the
// caller's, so every odd case (hybrid mounts, containers, escapes) is tested
// on fixture text.
//
// - /proc/self/cgroup: one line per hierarchy, "ID:CONTROLLERS:PATH"; the
//   cgroup v2 line is "0::PATH", PATH relative to the hierarchy's root.
// - /proc/self/mountinfo: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS
//   [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS"; ROOT is the part of the
//   hierarchy the mount shows (not "/" inside a cgroup namespace or a bind
//   mount), and paths escape space, tab, newline and backslash as \ooo.
// - cgroup.procs: one pid per line; cgroup.controllers: space-separated
//   names; cgroup.events: "populated 0|1" and "frozen 0|1" lines.

export interface Cgroup2Mount {
  /** Where the hierarchy is mounted, e.g. /sys/fs/cgroup or /sys/fs/cgroup/unified. */
  readonly mountPoint: string;
  /** The cgroup the mount shows at mountPoint, e.g. "/" or "/docker/abc". */
  readonly root: string;
  readonly readOnly: boolean;
}

function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** The cgroup v2 path of the process ("0::PATH"), or undefined when it is in no v2 hierarchy. */
export function parseProcCgroup(text: string): string | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('0::')) return line.slice(3) || '/';
  }
  return undefined;
}

/** Every cgroup2 mount in a mountinfo text. */
export function parseCgroup2Mounts(text: string): Cgroup2Mount[] {
  const mounts: Cgroup2Mount[] = [];
  for (const line of text.split('\n')) {
    const separator = line.indexOf(' - ');
    if (separator === -1) continue;
    const before = line.slice(0, separator).split(' ');
    const after = line.slice(separator + 3).split(' ');
    if (after[0] !== 'cgroup2') continue;
    const root = before[3];
    const mountPoint = before[4];
    const options = before[5];
    if (root === undefined || mountPoint === undefined || options === undefined) continue;
    const superOptions = after[2] ?? '';
    const readOnly = options.split(',').includes('ro') || superOptions.split(',').includes('ro');
    mounts.push({ mountPoint: unescapeMountPath(mountPoint), root: unescapeMountPath(root), readOnly });
  }
  return mounts;
}

function isUnder(parent: string, path: string): boolean {
  return parent === '/' || path === parent || path.startsWith(`${parent}/`);
}

/**
 * The directory of cgroup `path` under one of `mounts`: the mount whose root
 * holds the path (writable ones first, then the deepest root), or undefined
 * when no mount shows it (e.g. a cgroup namespace that hides it).
 */
export function cgroupDirectory(mounts: readonly Cgroup2Mount[], path: string): { dir: string; mount: Cgroup2Mount } | undefined {
  const candidates = mounts
    .filter((m) => isUnder(m.root, path))
    .sort((a, b) => Number(a.readOnly) - Number(b.readOnly) || b.root.length - a.root.length);
  const mount = candidates[0];
  if (mount === undefined) return undefined;
  const rest = mount.root === '/' ? path : path.slice(mount.root.length);
  const dir = rest === '/' || rest === '' ? mount.mountPoint : `${mount.mountPoint.replace(/\/$/, '')}${rest}`;
  return { dir, mount };
}

export function parsePids(text: string): number[] {
  return text
    .split('\n')
    .filter((line) => /^\d+$/.test(line))
    .map(Number);
}

export function parseControllers(text: string): string[] {
  return text.split(/\s+/).filter((c) => c !== '');
}

/** "populated 1" in cgroup.events: a process lives in the cgroup or below it. */
export function parsePopulated(text: string): boolean {
  return /^populated 1$/m.test(text);
}

const PLUGIN_PREFIX = 'snoozebot-plugin-';
/** NAME_MAX. */
const MAX_NAME_BYTES = 255;

/**
 * `snoozebot-plugin-NAME` for plugin NAME. A name too long for one directory
 * entry is cut and given a short digest of the whole name, so two long names
 * still get two cgroups.
 */
export function pluginCgroupName(name: string, digest: (text: string) => string): string {
  const full = `${PLUGIN_PREFIX}${name}`;
  if (Buffer.byteLength(full) <= MAX_NAME_BYTES) return full;
  const suffix = `-${digest(name).slice(0, 16)}`;
  let cut = name;
  while (Buffer.byteLength(`${PLUGIN_PREFIX}${cut}${suffix}`) > MAX_NAME_BYTES) cut = cut.slice(0, -1);
  return `${PLUGIN_PREFIX}${cut}${suffix}`;
}

/** The plugin name in a plugin cgroup's name (cut, for one too long to fit whole). */
export function pluginNameOf(entry: string): string {
  return entry.slice(PLUGIN_PREFIX.length);
}

export function isPluginCgroupName(entry: string): boolean {
  return entry.startsWith(PLUGIN_PREFIX) && entry.length > PLUGIN_PREFIX.length;
}
