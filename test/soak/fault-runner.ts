// Draws and runs the soak's faults: `concurrency` workers, each taking the
// next fault from a shared budget and aiming it at a serving plugin no other
// fault is busy with. The first draws go through every kind once (in a
// seeded order), so even a short run covers them all; the rest follow
// FAULT_WEIGHTS.
import type { PluginStatus } from '../../src/daemon/types.js';
import { listPlugins } from './api.js';
import { FAULT_KINDS, FAULT_WEIGHTS, appliesTo } from './fault.js';
import type { FaultKind, FaultRecord } from './fault.js';
import { injectFault } from './faults.js';
import type { FaultContext } from './faults.js';
import type { SoakPlugin } from './run-dir.js';

/** Weighted draws of a kind no free plugin suits before the worker waits for a fault to end. */
const REDRAWS = 12;

export class FaultRunner {
  readonly records: FaultRecord[] = [];
  readonly #ctx: FaultContext;
  readonly #plugins: readonly SoakPlugin[];
  readonly #busy = new Set<string>();
  readonly #parked: ReadonlySet<string>;
  readonly #coverage: FaultKind[];
  /** Kinds this run cannot resolve (escape without cgroups); never drawn. */
  readonly #excluded: ReadonlySet<FaultKind>;
  readonly #onFault: ((record: FaultRecord) => void) | undefined;
  #issued = 0;
  #lastId = 0;
  #deadlineHit = false;
  /** Resolved whenever a fault ends, so a worker with nothing to do can wait for one. */
  #changed: Promise<void> = Promise.resolve();
  #signalChange: () => void = () => undefined;

  constructor(
    ctx: FaultContext,
    plugins: readonly SoakPlugin[],
    parked: ReadonlySet<string>,
    onFault?: (record: FaultRecord) => void,
    excluded: ReadonlySet<FaultKind> = new Set(),
  ) {
    this.#ctx = ctx;
    this.#plugins = plugins;
    this.#parked = parked;
    this.#onFault = onFault;
    this.#excluded = excluded;
    const kinds = FAULT_KINDS.filter((kind) => !excluded.has(kind) && plugins.some((p) => appliesTo(kind, p.kind)));
    // Fisher-Yates with the run's generator.
    for (let i = kinds.length - 1; i > 0; i--) {
      const j = ctx.random.int(0, i);
      [kinds[i], kinds[j]] = [kinds[j] as FaultKind, kinds[i] as FaultKind];
    }
    this.#coverage = kinds;
    this.#resetChange();
  }

  /** True when the run's deadline stopped the draws before the budget was spent. */
  get deadlineHit(): boolean {
    return this.#deadlineHit;
  }

  async run(): Promise<void> {
    const workers = Array.from({ length: this.#ctx.options.concurrency }, () => this.#worker());
    await Promise.all(workers);
  }

  #resetChange(): void {
    this.#changed = new Promise((resolve) => (this.#signalChange = resolve));
  }

  #changedNow(): void {
    const signal = this.#signalChange;
    this.#resetChange();
    signal();
  }

  async #worker(): Promise<void> {
    const { options, t0 } = this.#ctx;
    while (this.#issued < options.faults) {
      if (Date.now() - t0 > options.deadlineMs) {
        this.#deadlineHit = true;
        return;
      }
      const target = await this.#pick();
      if (target === undefined) {
        // Every plugin is busy, parked or restarting: wait for a fault to end (or a moment, for a restart).
        await Promise.race([this.#changed, new Promise((resolve) => setTimeout(resolve, 100))]);
        continue;
      }
      const { kind, plugin, status, fromCoverage } = target;
      if (this.#issued >= options.faults) {
        // Another worker took the last one while this one was picking.
        this.#busy.delete(plugin.name);
        return;
      }
      this.#issued += 1;
      const id = ++this.#lastId;
      try {
        const record = await injectFault(this.#ctx, id, kind, plugin, status);
        if (record === undefined) {
          // Its target died on its own first: not injected, drawn again.
          this.#issued -= 1;
          if (fromCoverage) this.#coverage.unshift(kind);
        } else {
          this.records.push(record);
          this.#onFault?.(record);
        }
      } finally {
        this.#busy.delete(plugin.name);
        this.#changedNow();
      }
    }
  }

  /** A kind and a free serving plugin for it, marked busy before anyone else can pick it. */
  async #pick(): Promise<{ kind: FaultKind; plugin: SoakPlugin; status: PluginStatus; fromCoverage: boolean } | undefined> {
    const listed = new Map((await listPlugins(this.#ctx.run.socket)).map((p) => [p.name, p]));
    const free = this.#plugins.filter((p) => {
      const status = listed.get(p.name);
      return !this.#busy.has(p.name) && !this.#parked.has(p.name) && status?.state === 'serving' && status.pid !== null;
    });
    if (free.length === 0) return undefined;
    const choose = (kind: FaultKind, fromCoverage = false) => {
      if (this.#excluded.has(kind)) return undefined;
      const candidates = free.filter((p) => appliesTo(kind, p.kind));
      if (candidates.length === 0) return undefined;
      const plugin = this.#ctx.random.pick(candidates);
      const status = listed.get(plugin.name);
      if (status === undefined) return undefined;
      this.#busy.add(plugin.name);
      return { kind, plugin, status, fromCoverage };
    };
    // Kinds not drawn yet come first, as soon as a plugin they apply to is free.
    const uncovered = this.#coverage.findIndex((kind) => free.some((p) => appliesTo(kind, p.kind)));
    if (uncovered >= 0) {
      const [kind] = this.#coverage.splice(uncovered, 1);
      if (kind !== undefined) return choose(kind, true);
    }
    for (let i = 0; i < REDRAWS; i++) {
      const chosen = choose(this.#ctx.random.weighted(FAULT_WEIGHTS));
      if (chosen !== undefined) return chosen;
    }
    return undefined;
  }
}
