// Which plugins a soak supervises: about 40 % chaos plugins (most fault kinds
// need their cooperation), the rest split between copies of the bundled local
// plugin and the Go go-plugin fixture (or all local without Go).
import type { PluginKind, SoakPlugin } from './run-dir.js';

export function pluginSet(count: number, withGo: boolean): SoakPlugin[] {
  const chaos = Math.max(1, Math.round(count * 0.4));
  const go = withGo ? Math.max(1, Math.round((count - chaos) * 0.45)) : 0;
  const local = Math.max(1, count - chaos - go);
  const plugins: SoakPlugin[] = [];
  const add = (kind: PluginKind, n: number) => {
    for (let i = 1; i <= n; i++) plugins.push({ name: `${kind}-${String(i).padStart(2, '0')}`, kind });
  };
  add('chaos', chaos);
  add('local', local);
  add('go', go);
  return plugins;
}
