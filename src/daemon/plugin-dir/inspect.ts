// Whether a file in the plugins directory may be run. The daemon runs what it
// finds there, often as root, so anything another user could have written or
// swapped is refused, with a reason that says how to fix it.
//
// `decidePlugin` is the decision on plain facts (testable without a file
// system); `inspectPlugin` gathers the facts and checks a configured SHA-256 pin.
//
// Symlinks are allowed when everything they lead to passes: the link sits in
// the plugins directory (checked like any entry), and its fully resolved
// target and the target's directory pass the same owner and mode checks as a
// plain file would. The link's own mode means nothing (always 0777 on Linux)
// and it can only be retargeted by someone who can write the plugins
// directory, which the directory check covers. This keeps the common
// "ln -s /opt/vendor/bin/plugin /etc/snoozebot/plugins/vendor" setup working.
import type { Stats } from 'node:fs';
import { lstat, readlink, realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { normalizeSha256, sha256File } from '../../host/checksum.js';

/** What lstat/stat tell about a file. */
export interface FileFacts {
  readonly isFile: boolean;
  readonly isSymlink: boolean;
  readonly mode: number;
  readonly uid: number;
}

/** What stat tells about the directory holding a file. */
export interface DirFacts {
  readonly mode: number;
  readonly uid: number;
}

/** What a symlink resolves to: the final target, or the (unresolvable) text it points to. */
export type LinkTarget =
  | { readonly path: string; readonly file: FileFacts; readonly dir: DirFacts }
  | { readonly path: string; readonly missing: true };

export interface PluginFacts {
  /** The entry in the plugins directory. */
  readonly path: string;
  /** From lstat: a symlink is seen as a symlink here. */
  readonly file: FileFacts;
  /** The plugins directory (the entry's parent). */
  readonly dir: DirFacts;
  /** Only for a symlink. */
  readonly target?: LinkTarget;
}

export type Verdict =
  | { readonly ok: true; /** For a symlink: the resolved file that will run. */ readonly target?: string }
  | { readonly ok: false; readonly reason: string };

const WORLD_WRITABLE = 0o002;
const STICKY = 0o1000;

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

function allowedOwner(uid: number, daemonUid: number): boolean {
  return uid === 0 || uid === daemonUid;
}

function whoMayOwn(daemonUid: number): string {
  return daemonUid === 0 ? 'root' : `root or the daemon's user (uid ${daemonUid})`;
}

/**
 * Execute bits the daemon's user needs. Group membership is not among the
 * facts, so a file the daemon neither owns nor runs as root must be
 * executable by others.
 */
function neededExecBits(file: FileFacts, daemonUid: number): number {
  if (daemonUid === 0) return 0o111;
  if (file.uid === daemonUid) return 0o100;
  return 0o001;
}

function fileProblems(path: string, file: FileFacts, daemonUid: number): string[] {
  if (!file.isFile) {
    return [`${path} is not a regular file; a plugin must be an executable file (remove it from the plugins directory)`];
  }
  const problems: string[] = [];
  if (!allowedOwner(file.uid, daemonUid)) {
    problems.push(
      `${path} is owned by uid ${file.uid}, not by ${whoMayOwn(daemonUid)}, so that user could swap what the daemon runs; chown root ${path}`,
    );
  }
  if ((file.mode & WORLD_WRITABLE) !== 0) {
    problems.push(`${path} is writable by every user (mode ${octal(file.mode)}), so anyone could change what the daemon runs; chmod o-w ${path}`);
  }
  if ((file.mode & neededExecBits(file, daemonUid)) === 0) {
    problems.push(`${path} is not executable by the daemon (mode ${octal(file.mode)}); chmod 755 ${path}`);
  }
  return problems;
}

function dirProblems(dir: string, facts: DirFacts, daemonUid: number): string[] {
  const problems: string[] = [];
  if ((facts.mode & WORLD_WRITABLE) !== 0) {
    // The sticky bit only stops others from deleting or renaming our files;
    // they can still drop new executables in, which would be started.
    const sticky = (facts.mode & STICKY) !== 0 ? ' (the sticky bit does not help: anyone can still add files there)' : '';
    problems.push(
      `${dir} is writable by every user (mode ${octal(facts.mode)})${sticky}, so anyone could put a plugin there; chmod o-w ${dir}, or use another directory`,
    );
  }
  if (!allowedOwner(facts.uid, daemonUid)) {
    problems.push(`${dir} is owned by uid ${facts.uid}, not by ${whoMayOwn(daemonUid)}, so that user could replace what is in it; chown root ${dir}`);
  }
  return problems;
}

function verdictOf(problems: readonly string[], target?: string): Verdict {
  if (problems.length > 0) return { ok: false, reason: [...new Set(problems)].join('; ') };
  return target === undefined ? { ok: true } : { ok: true, target };
}

/** The decision on plain facts; all problems found are named, so one round of fixes is enough. */
export function decidePlugin(facts: PluginFacts, daemonUid: number): Verdict {
  const { path, file } = facts;
  const problems = dirProblems(dirname(path), facts.dir, daemonUid);
  if (!file.isSymlink) return verdictOf([...problems, ...fileProblems(path, file, daemonUid)]);

  const target = facts.target;
  if (target === undefined || 'missing' in target) {
    const where = target === undefined ? 'an unresolved target' : target.path;
    return { ok: false, reason: `${path} is a symlink to ${where}, which does not exist; fix or remove the link` };
  }
  const targetProblems = [...dirProblems(dirname(target.path), target.dir, daemonUid), ...fileProblems(target.path, target.file, daemonUid)];
  return verdictOf([...problems, ...targetProblems.map((p) => `${path} is a symlink to ${target.path}: ${p}`)], target.path);
}

export function fileFacts(stats: Stats): FileFacts {
  return { isFile: stats.isFile(), isSymlink: stats.isSymbolicLink(), mode: stats.mode, uid: stats.uid };
}

export function dirFacts(stats: Stats): DirFacts {
  return { mode: stats.mode, uid: stats.uid };
}

export interface InspectOptions {
  /** The daemon's uid: besides root, the only owner a plugin may have. */
  readonly uid: number;
  /** Configured SHA-256 of the binary (hex, optionally "sha256:"-prefixed). */
  readonly sha256Pin?: string | undefined;
}

function errorText(error: unknown): string {
  return (error as Error | undefined)?.message ?? String(error);
}

async function resolveLink(path: string): Promise<LinkTarget> {
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    // Dangling or looping: name what the link says, as the operator wrote it.
    return { path: await readlink(path).catch(() => '?'), missing: true };
  }
  const [file, dir] = await Promise.all([stat(real), stat(dirname(real))]);
  return { path: real, file: fileFacts(file), dir: dirFacts(dir) };
}

async function gatherFacts(path: string): Promise<PluginFacts | Verdict> {
  let entry: Stats;
  try {
    entry = await lstat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? `${path} does not exist (any more)` : `${path} cannot be examined: ${errorText(error)}`;
    return { ok: false, reason };
  }
  try {
    const dir = dirFacts(await stat(dirname(path)));
    const file = fileFacts(entry);
    return file.isSymlink ? { path, file, dir, target: await resolveLink(path) } : { path, file, dir };
  } catch (error) {
    return { ok: false, reason: `${path} cannot be examined: ${errorText(error)}` };
  }
}

async function checkPin(path: string, pin: string): Promise<Verdict> {
  let expected: string;
  try {
    expected = normalizeSha256(pin);
  } catch (error) {
    return { ok: false, reason: `the sha256 pin configured for ${path} is unusable: ${errorText(error)}` };
  }
  let actual: string;
  try {
    actual = await sha256File(path);
  } catch (error) {
    return { ok: false, reason: `${path} cannot be read to check its sha256 pin: ${errorText(error)}` };
  }
  if (actual === expected) return { ok: true };
  return {
    ok: false,
    reason: `${path} has sha256 ${actual}, but ${expected} is pinned; refusing to run it (if this binary is trusted, update the pin in the config)`,
  };
}

/** Never throws: every problem, including the file vanishing, is a refusal with a reason. */
export async function inspectPlugin(path: string, options: InspectOptions): Promise<Verdict> {
  const facts = await gatherFacts(path);
  if ('ok' in facts) return facts;
  const verdict = decidePlugin(facts, options.uid);
  // Only a string is a pin: a lookup like pins[name] for a plugin named
  // "constructor" in a plain object yields Object's method, not a pin.
  if (!verdict.ok || typeof options.sha256Pin !== 'string') return verdict;
  // Hash only what passed the owner and mode checks: no point reading a FIFO or
  // a file anyone may rewrite right after it was hashed.
  const pinned = await checkPin(path, options.sha256Pin);
  return pinned.ok ? verdict : pinned;
}
