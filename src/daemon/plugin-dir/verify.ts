// The trust check as the host's verify hook: run right before every start and
// restart of a plugin, not only when the file was discovered, since a file (or
// a symlink's target, or a directory above it) can change between the two.
// A refusal is a HostError PLUGIN_UNTRUSTED, which the supervisor turns into
// the `refused` state with this reason.
import { HostError } from '../../host/errors.js';
import { inspectPlugin } from './inspect.js';

/** `pin`: the plugin's configured sha256 at the moment of the start (the config may have been reloaded). */
export function trustVerifier(uid: number, pin: () => string | undefined = () => undefined): (path: string) => Promise<void> {
  return async (path) => {
    const verdict = await inspectPlugin(path, { uid, sha256Pin: pin() });
    if (!verdict.ok) throw new HostError('PLUGIN_UNTRUSTED', verdict.reason);
  };
}
