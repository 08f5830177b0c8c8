// Whether a plugin file may be run, on plain facts: the rules of sshd's
// StrictModes (and sudo's), applied to everything the kernel looks at when it
// resolves the plugin's path. The daemon runs plugins as root, so a file that
// anyone but root (or the daemon's own user) could have written, replaced or
// redirected is refused, with every problem named and how to fix it.
//
// The facts are a walk (walk.ts does the I/O): every directory from `/` down,
// every symlink followed (its target spliced into the rest of the path, as the
// kernel does), and the file reached at the end with its first bytes.
//
// - A directory must be owned by root or the daemon's user and writable by
//   neither its group nor others: whoever can write a directory can rename
//   anything in it away and put their own in its place. Two exceptions, both
//   sshd's and sudo's: group-writable is fine when the group is root's (gid 0:
//   only root's group members, who are trusted with root files anyway); and a
//   root-owned directory with the sticky bit (/tmp) is fine as an ancestor,
//   because there only an entry's owner may rename or remove it.
// - The plugins directory itself gets no sticky exception: whoever can add a
//   file there gets it started (discovery), sticky bit or not.
// - A symlink must be owned by root or the daemon's user; its mode means
//   nothing (always 0777), but its owner can point it elsewhere.
// - The file must be a regular file, owned and writable like a directory
//   (no sticky exception), executable by the daemon, and start with `#!` or
//   the ELF magic: anything else the kernel cannot execute, and execvp would
//   hand it to /bin/sh as a script (an empty file, a script without `#!`).
//   systemd refuses those too.
//
// Pure: no I/O, so every rule is tested on made-up records.

export type NodeKind = 'directory' | 'symlink' | 'file' | 'other';

/** What lstat says about one path on the walk. */
export interface PathNode {
  /** The path as the walk reached it (symlinks before it resolved). */
  readonly path: string;
  readonly kind: NodeKind;
  readonly uid: number;
  readonly gid: number;
  /** Permission bits (and any others; only the low 12 bits are read). */
  readonly mode: number;
}

/**
 * `ancestor`: a directory the walk passes through. `plugins-dir`: the
 * directory the plugin's own name is looked up in (discovery happens there).
 * `link`: a symlink followed. `file`: the end of the walk.
 */
export type NodeRole = 'ancestor' | 'plugins-dir' | 'link' | 'file';

export interface WalkStep extends PathNode {
  readonly role: NodeRole;
  /** True once the walk went through a symlink of the plugin's own path. */
  readonly viaLink: boolean;
}

export type WalkEnd =
  /** `head`: the file's first bytes (at most 4). `realPath`: the file with every symlink resolved. */
  | { readonly kind: 'reached'; readonly realPath: string; readonly head: Uint8Array }
  /** A component does not exist; `link` is the last symlink followed, if any, with what it says. */
  | { readonly kind: 'missing'; readonly path: string; readonly link?: { readonly path: string; readonly target: string } }
  | { readonly kind: 'loop'; readonly path: string }
  | { readonly kind: 'not-a-directory'; readonly path: string }
  | { readonly kind: 'unreadable'; readonly path: string; readonly reason: string };

export interface PluginWalk {
  /** The plugin's path as found (its entry in the plugins directory). */
  readonly entry: string;
  readonly steps: readonly WalkStep[];
  readonly end: WalkEnd;
}

export type Verdict =
  | { readonly ok: true; /** For a plugin whose entry is a symlink: the resolved file that will run. */ readonly target?: string }
  | {
      readonly ok: false;
      readonly reason: string;
      /** The entry itself no longer exists: a removal seen before its directory event, not a file to refuse. */
      readonly gone?: true;
    };

const OTHERS_WRITE = 0o002;
const GROUP_WRITE = 0o020;
const STICKY = 0o1000;
const ROOT_GID = 0;

/** `#!` and `\x7fELF`. */
const SHEBANG = [0x23, 0x21] as const;
const ELF = [0x7f, 0x45, 0x4c, 0x46] as const;

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

function allowedOwner(uid: number, daemonUid: number): boolean {
  return uid === 0 || uid === daemonUid;
}

function whoMayOwn(daemonUid: number): string {
  return daemonUid === 0 ? 'root' : `root or the daemon's user (uid ${daemonUid})`;
}

function startsWith(head: Uint8Array, magic: readonly number[]): boolean {
  return head.length >= magic.length && magic.every((byte, i) => head[i] === byte);
}

export function isExecutableFormat(head: Uint8Array): boolean {
  return startsWith(head, SHEBANG) || startsWith(head, ELF);
}

function describeHead(head: Uint8Array): string {
  if (head.length === 0) return 'it is empty';
  const printable = [...head].every((b) => b >= 0x20 && b < 0x7f);
  return printable ? `it starts with ${JSON.stringify(Buffer.from(head).toString('latin1'))}` : `it starts with bytes ${Buffer.from(head).toString('hex')}`;
}

/**
 * Execute bits the daemon's user needs. Group membership is not among the
 * facts, so a file the daemon neither owns nor runs as root must be
 * executable by others.
 */
function neededExecBits(node: PathNode, daemonUid: number): number {
  if (daemonUid === 0) return 0o111;
  if (node.uid === daemonUid) return 0o100;
  return 0o001;
}

function ownerProblem(node: PathNode, daemonUid: number, what: string, fix: string): string | undefined {
  if (allowedOwner(node.uid, daemonUid)) return undefined;
  return `${node.path} ${what} owned by uid ${node.uid}, not by ${whoMayOwn(daemonUid)}, so that user could ${fix}; chown ${node.kind === 'symlink' ? '-h ' : ''}root ${node.path}`;
}

function directoryProblems(step: WalkStep, daemonUid: number): string[] {
  const problems: string[] = [];
  const owner = ownerProblem(step, daemonUid, 'is', 'replace what is in it');
  if (owner !== undefined) problems.push(owner);
  // Only an ancestor may lean on the sticky bit: in the plugins directory,
  // adding a file is enough to get it started.
  const stickyRoot = step.role === 'ancestor' && (step.mode & STICKY) !== 0 && step.uid === 0;
  if ((step.mode & OTHERS_WRITE) !== 0 && !stickyRoot) {
    const sticky =
      (step.mode & STICKY) !== 0
        ? step.role === 'plugins-dir'
          ? ' (the sticky bit does not help: anyone can still add files there)'
          : ` (the sticky bit only helps in a directory root owns)`
        : '';
    const what = step.role === 'plugins-dir' ? 'put a plugin there' : 'replace what is in it';
    problems.push(
      `${step.path} is writable by every user (mode ${octal(step.mode)})${sticky}, so anyone could ${what}; chmod o-w ${step.path}, or use another directory`,
    );
  }
  if ((step.mode & GROUP_WRITE) !== 0 && step.gid !== ROOT_GID && !stickyRoot) {
    const what = step.role === 'plugins-dir' ? 'put a plugin there' : 'replace what is in it';
    problems.push(
      `${step.path} is writable by its group (gid ${step.gid}, mode ${octal(step.mode)}), so any member could ${what}; chmod g-w ${step.path}`,
    );
  }
  return problems;
}

function fileProblems(step: WalkStep, head: Uint8Array, daemonUid: number): string[] {
  if (step.kind !== 'file') {
    const what = step.kind === 'directory' ? 'a directory' : 'not a regular file';
    return [`${step.path} is ${what}; a plugin must be an executable file (remove it from the plugins directory)`];
  }
  const problems: string[] = [];
  const owner = ownerProblem(step, daemonUid, 'is', 'swap what the daemon runs');
  if (owner !== undefined) problems.push(owner);
  if ((step.mode & OTHERS_WRITE) !== 0) {
    problems.push(`${step.path} is writable by every user (mode ${octal(step.mode)}), so anyone could change what the daemon runs; chmod o-w ${step.path}`);
  }
  if ((step.mode & GROUP_WRITE) !== 0 && step.gid !== ROOT_GID) {
    problems.push(
      `${step.path} is writable by its group (gid ${step.gid}, mode ${octal(step.mode)}), so any member could change what the daemon runs; chmod g-w ${step.path}`,
    );
  }
  if ((step.mode & neededExecBits(step, daemonUid)) === 0) {
    problems.push(`${step.path} is not executable by the daemon (mode ${octal(step.mode)}); chmod 755 ${step.path}`);
  }
  if (!isExecutableFormat(head)) {
    problems.push(
      `${step.path} is not a script with #! or an ELF binary (${describeHead(head)}); the kernel cannot run it, so the daemon does not hand it to a shell either`,
    );
  }
  return problems;
}

function endProblem(walk: PluginWalk): string | undefined {
  const { end, entry } = walk;
  switch (end.kind) {
    case 'reached':
      return undefined;
    case 'missing':
      if (end.link !== undefined) return `${end.link.path} is a symlink to ${end.link.target}, which does not exist; fix or remove the link`;
      return end.path === entry ? `${entry} does not exist (any more)` : `${entry} cannot be reached: ${end.path} does not exist`;
    case 'loop':
      return `${entry} cannot be resolved: too many levels of symlinks at ${end.path}`;
    case 'not-a-directory':
      return `${entry} cannot be resolved: ${end.path} is not a directory`;
    case 'unreadable':
      return `${entry} cannot be examined: ${end.reason}`;
  }
}

/** The decision on plain facts; every problem found is named, so one round of fixes is enough. */
export function judgeWalk(walk: PluginWalk, daemonUid: number): Verdict {
  const problems: string[] = [];
  const entryIsLink = walk.steps.some((s) => s.role === 'link' && s.path === walk.entry);
  const linkTarget = walk.end.kind === 'reached' ? walk.end.realPath : undefined;
  const qualify = (step: WalkStep, problem: string) =>
    step.viaLink && entryIsLink && linkTarget !== undefined ? `${walk.entry} is a symlink to ${linkTarget}: ${problem}` : problem;
  for (const step of walk.steps) {
    let found: string[] = [];
    if (step.role === 'ancestor' || step.role === 'plugins-dir') found = directoryProblems(step, daemonUid);
    else if (step.role === 'link') {
      const owner = ownerProblem(step, daemonUid, 'is a symlink', 'point it at another program');
      if (owner !== undefined) found = [owner];
    } else if (walk.end.kind === 'reached') found = fileProblems(step, walk.end.head, daemonUid);
    problems.push(...found.map((p) => qualify(step, p)));
  }
  const end = endProblem(walk);
  if (end !== undefined) problems.push(end);
  const gone = walk.end.kind === 'missing' && walk.end.link === undefined && walk.end.path === walk.entry;
  if (problems.length > 0) return { ok: false, reason: [...new Set(problems)].join('; '), ...(gone ? { gone: true as const } : {}) };
  return entryIsLink && linkTarget !== undefined ? { ok: true, target: linkTarget } : { ok: true };
}
