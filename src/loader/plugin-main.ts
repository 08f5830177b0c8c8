// The entry of every bundled plugin file (an esbuild entry only: it runs
// inside dist/plugins/<name>, never from dist/js). The bundle
// script defines the constants: the plugin's name, its whole bundled code,
// which runWithCodeCache compiles with V8's code cache, and that code's digest.
import { runWithCodeCache } from './code-cache.js';

declare const __SNOOZEBOT_PLUGIN_NAME__: string;
declare const __SNOOZEBOT_PLUGIN_SOURCE__: string;
declare const __SNOOZEBOT_PLUGIN_DIGEST__: string;

// The plugin file itself: Node sets argv[1] to the script it runs, in CommonJS and ESM alike.
runWithCodeCache(__SNOOZEBOT_PLUGIN_NAME__, __SNOOZEBOT_PLUGIN_SOURCE__, __SNOOZEBOT_PLUGIN_DIGEST__, process.argv[1] ?? __SNOOZEBOT_PLUGIN_NAME__);
