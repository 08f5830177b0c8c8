// Signals to a plugin's whole process group. Plugins are started as group
// leaders (detached), so a child a plugin forks shares its group and dies
// with it, even if the plugin itself is already gone.

export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    // ESRCH: nobody left in the group.
    return false;
  }
}

export function groupAlive(pgid: number): boolean {
  return signalGroup(pgid, 0 as unknown as NodeJS.Signals);
}

// If the host itself exits without stopping its plugins (an uncaught error,
// process.exit), their groups are killed on the way out. SIGKILL of the host
// is covered by the plugins' own stdin watch.
const liveGroups = new Set<number>();
let hooked = false;

export function trackGroup(pgid: number): void {
  liveGroups.add(pgid);
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const group of liveGroups) signalGroup(group, 'SIGKILL');
    });
  }
}

export function untrackGroup(pgid: number): void {
  liveGroups.delete(pgid);
}
