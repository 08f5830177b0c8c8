// Containment of plugin processes: a cgroup v2 per plugin, or process groups.
export { Containment, PluginCgroup } from './containment.js';
export type { ContainmentLog, ContainmentMode, ContainmentOptions, ContainmentStatus, LeftoverCgroup, ReleaseOutcome } from './containment.js';
export { CgroupDir, CgroupError } from './cgroup.js';
export {
  cgroupDirectory,
  isPluginCgroupName,
  parseCgroup2Mounts,
  parseControllers,
  parsePids,
  parsePopulated,
  parseProcCgroup,
  pluginCgroupName,
} from './cgroup-files.js';
export type { Cgroup2Mount } from './cgroup-files.js';
export { DAEMON_LEAF, planContainment } from './plan.js';
export type { CgroupFacts, Layout } from './plan.js';
export { ENTER_FAILED, WRAPPER_NAME, wrapInCgroup } from './spawn-wrapper.js';
