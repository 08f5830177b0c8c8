// npm run soak: the long form of the fault soak (docs/soak.md). The same
// driver as the short form in npm test, with more plugins and faults.
//
//   node dist/js/scripts/soak.js [--faults N] [--plugins N] [--seed S]
//        [--concurrency N] [--short] [--verbose]
//
// Exit status: 0 when every check passed, 1 otherwise (the report says why),
// 2 for bad flags.
import { parseArgs } from 'node:util';
import { runSoak } from '../test/soak/driver.js';
import { LONG_FORM, SHORT_FORM } from '../test/soak/options.js';
import type { SoakOptions } from '../test/soak/options.js';
import { newSeed } from '../test/soak/random.js';
import { describeFaultKinds, formatReport } from '../test/soak/report.js';

const USAGE = `usage: node dist/js/scripts/soak.js [--faults N] [--plugins N] [--seed S] [--concurrency N] [--short] [--verbose]

  --faults N       faults to inject (long form: ${LONG_FORM.faults}, short: ${SHORT_FORM.faults})
  --plugins N      plugins in the directory, 3..40 (long form: ${LONG_FORM.plugins}, short: ${SHORT_FORM.plugins})
  --seed S         replay the fault draws of an earlier run (its report prints its seed)
  --concurrency N  faults in flight at once (long form: ${LONG_FORM.concurrency})
  --short          start from the short form's parameters (what npm test runs)
  --verbose        a line per fault as it resolves
  --require-go     fail instead of leaving the Go plugins out when Go is missing (implied by CI=...)

fault kinds:
${describeFaultKinds()}`;

function intFlag(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    process.stderr.write(`--${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}\n\n${USAGE}\n`);
    process.exit(2);
  }
  return Number(value);
}

function options(): SoakOptions {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        faults: { type: 'string' },
        plugins: { type: 'string' },
        seed: { type: 'string' },
        concurrency: { type: 'string' },
        short: { type: 'boolean' },
        verbose: { type: 'boolean' },
        'require-go': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const base = values.short ? SHORT_FORM : LONG_FORM;
  const faults = intFlag(values.faults, 'faults', 1, 1_000_000) ?? base.faults;
  return {
    ...base,
    faults,
    plugins: intFlag(values.plugins, 'plugins', 3, 40) ?? base.plugins,
    concurrency: intFlag(values.concurrency, 'concurrency', 1, 40) ?? base.concurrency,
    seed: intFlag(values.seed, 'seed', 0, 2 ** 32 - 1) ?? newSeed(),
    // A long run gets time in proportion: about 1.5 s per fault per worker, at least the form's own.
    deadlineMs: Math.max(base.deadlineMs, faults * 1_500),
    verbose: values.verbose ?? false,
    requireGo: (values['require-go'] ?? false) || Boolean(process.env.CI),
    requireCgroups: Boolean(process.env.CI),
  };
}

const soakOptions = options();
try {
  const report = await runSoak(soakOptions, (line) => console.log(line));
  console.log(formatReport(report));
  process.exitCode = report.problems.length === 0 ? 0 : 1;
} catch (error) {
  // The soak could not run to its end (no Go in CI, a daemon that would not start): say why, briefly.
  process.stderr.write(`soak: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
