// Entry point of dist/plugins/azure. The cookie is checked before anything
// heavy is loaded; run.ts holds the plugin itself.
import { exitUnlessLaunchedByHost } from '../../src/sdk/launch-guard.js';

exitUnlessLaunchedByHost();
void import('./run.js');
