// The group the API socket is given (`socketGroup` in the config), so its
// members can use the CLI without root. A name is looked up with getent, which
// asks NSS like every other tool (local /etc/group, LDAP, sssd...); a number
// is taken as the gid itself.
import { execFile } from 'node:child_process';

export class SocketGroupError extends Error {
  override readonly name = 'SocketGroupError';
  readonly code = 'SOCKET_GROUP_UNKNOWN';
}

/** The gid in one `getent group` line ("name:x:gid:members"), or undefined. Pure. */
export function parseGroupLine(line: string, name: string): number | undefined {
  const [entry, , gid] = line.trim().split(':');
  if (entry !== name || gid === undefined || !/^\d+$/.test(gid)) return undefined;
  return Number(gid);
}

export function resolveSocketGroup(group: string | number): Promise<number> {
  if (typeof group === 'number') return Promise.resolve(group);
  return new Promise((resolve, reject) => {
    execFile('getent', ['group', group], { timeout: 5_000 }, (error, stdout) => {
      const gid = error === null ? parseGroupLine(stdout.split('\n')[0] ?? '', group) : undefined;
      if (gid !== undefined) return resolve(gid);
      const why = (error as NodeJS.ErrnoException | null)?.code === 'ENOENT' ? 'getent is not installed' : `getent group ${group} found nothing`;
      reject(new SocketGroupError(`socketGroup ${JSON.stringify(group)} is not a group on this machine (${why}); create it (groupadd ${group}) or fix "socketGroup" in the config`));
    });
  });
}
