// The soak's parameters. The short form (npm test) and the long form
// (npm run soak) run the same driver; only these numbers differ.

export interface SoakOptions {
  /** Plugins in the directory (TS bundle copies, chaos fixtures, Go fixtures). */
  readonly plugins: number;
  /** Faults to inject in total. */
  readonly faults: number;
  readonly seed: number;
  /** Faults in flight at once (each on its own plugin). */
  readonly concurrency: number;
  /** Raw API clients calling the read endpoints without a break. */
  readonly apiClients: number;
  /** Pause between one client's calls (load shaping, not waiting for anything). */
  readonly apiPauseMs: number;
  /** Pause between real CLI invocations. */
  readonly cliPauseMs: number;
  /** Copies of the local plugin that only the writers act on (faults leave them alone). */
  readonly writerPlugins: number;
  /** Writer clients calling load, unload, restart, instance stop and info without a break. */
  readonly writerClients: number;
  /** Mutating calls the writers make at least (they go on after the faults until then). */
  readonly minMutatingCalls: number;
  /** A SIGHUP every this often while the writers run. */
  readonly reloadEveryMs: number;
  /** How often the lifecycle invariants are checked against /proc. */
  readonly invariantEveryMs: number;
  /** Short lines per stream in a flood; each flood also sends one long line per stream. */
  readonly floodLines: number;
  readonly floodLongBytes: number;
  /** Lines of noise the start-flood wrapper writes to stderr before the real plugin starts. */
  readonly startNoiseLines: number;
  /** Share of plugins that may be left `failed` at the end of a crash loop (the rest get `plugins load`). */
  readonly maxParkedShare: number;
  /** Overall deadline; a run past it stops injecting and reports what it has. */
  readonly deadlineMs: number;
  /** true: no Go toolchain is an error (CI); false: the Go plugins are left out with the reason printed. */
  readonly requireGo: boolean;
  /** true: a daemon without cgroup containment is an error (CI); false: the escape faults are left out with the reason printed. */
  readonly requireCgroups: boolean;
  /** Print a line per fault as it resolves. */
  readonly verbose: boolean;
}

export const SHORT_FORM: Omit<SoakOptions, 'seed' | 'requireGo' | 'requireCgroups'> = {
  plugins: 10,
  faults: 150,
  concurrency: 4,
  apiClients: 2,
  apiPauseMs: 20,
  cliPauseMs: 1_500,
  writerPlugins: 2,
  writerClients: 3,
  minMutatingCalls: 150,
  reloadEveryMs: 1_000,
  invariantEveryMs: 250,
  floodLines: 1_000,
  floodLongBytes: 200_000,
  startNoiseLines: 3_000,
  maxParkedShare: 0.2,
  deadlineMs: 150_000,
  verbose: false,
};

export const LONG_FORM: Omit<SoakOptions, 'seed' | 'requireGo' | 'requireCgroups'> = {
  plugins: 18,
  faults: 1_000,
  concurrency: 6,
  apiClients: 3,
  apiPauseMs: 10,
  cliPauseMs: 1_000,
  writerPlugins: 3,
  writerClients: 8,
  minMutatingCalls: 5_000,
  reloadEveryMs: 1_500,
  invariantEveryMs: 250,
  floodLines: 5_000,
  floodLongBytes: 1_000_000,
  startNoiseLines: 20_000,
  maxParkedShare: 0.2,
  deadlineMs: 30 * 60_000,
  verbose: false,
};
