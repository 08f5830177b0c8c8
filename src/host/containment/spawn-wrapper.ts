// Moving a plugin into its cgroup before it execs, so that nothing it forks
// can be born outside it. Node cannot run code between fork() and exec()
// (child_process has no preexec hook, and clone3's CLONE_INTO_CGROUP is out of
// reach), so the moving is done by a tiny /bin/sh in the child itself: it
// writes its own pid into the cgroup, then execs the plugin in its place
// (same pid, same process group, same stdio, same environment). If the write
// fails the plugin is never run: the shell exits with ENTER_FAILED.
//
// Measured against the alternative (the daemon moving itself into the plugin's
// cgroup around a synchronous spawn, so the child is born there, then moving
// back): that saves the shell's exec (~2-6 ms on a loaded 2-core machine, see
// the bench) but blocks the daemon's event loop for two migrations of a
// multi-threaded process per start, and would leave the daemon inside a
// plugin's cgroup if the move back failed. The shell keeps every risk in the
// child.
//
// What the shell changes for the plugin: argv[0] stays the plugin's path;
// dash adds PWD to the environment and drops variables whose names are not
// valid shell names (such as "A-B"), which plugins do not use.

export const SHELL = '/bin/sh';
/** The shell's $0: the name in its own error messages. */
export const WRAPPER_NAME = 'snoozebot-cgroup-enter';
/** Exit status when the pid could not be written (the plugin was not run). */
export const ENTER_FAILED = 125;

const SCRIPT = `echo $$ >"$1" || exit ${ENTER_FAILED}; shift; exec "$@"`;

/** The command that runs `path ARGS` inside the cgroup whose cgroup.procs is `procsFile`. */
export function wrapInCgroup(procsFile: string, path: string, args: readonly string[]): { file: string; args: string[] } {
  return { file: SHELL, args: ['-c', SCRIPT, WRAPPER_NAME, procsFile, path, ...args] };
}
