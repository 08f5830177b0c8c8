// What `snoozebot plugins check` runs: the host's diagnosis of one plugin
// binary, with a logger for the plugin's stderr. A module of its own, loaded
// only by that command (plugins-check.ts), so no other command pays for
// grpc-js, execa and pino; in the bundle it is a chunk compiled only then
// (scripts/bundle.ts).
import { resolve } from 'node:path';
import pino from 'pino';
import { diagnosePlugin } from '../../host/diagnose.js';
import type { Diagnosis } from '../../host/diagnose.js';

export interface CheckOptions {
  readonly path: string;
  readonly mtls: boolean;
  readonly timeout: number;
  readonly 'log-level': string;
}

export function checkPlugin(args: CheckOptions): Promise<Diagnosis> {
  const logger = pino({ level: args['log-level'] }, pino.destination(2));
  return diagnosePlugin({
    path: resolve(args.path),
    autoMtls: args.mtls,
    startTimeoutMs: args.timeout,
    logger,
  });
}
