// A Prometheus counter with labels, for the series counted on every proxied request. A child of
// prom-client's Counter rebuilds, validates and hashes its label object on every inc() (two per
// request: ~1 % of the proxy's CPU, BENCHMARKS.md); a child here is the number itself. It registers
// with a prom-client Registry and is printed exactly like prom-client's own.

import type { Registry } from 'prom-client';

interface Child { labels: Record<string, string>; value: number }

export class LightCounter<L extends string> {
  readonly type = 'counter';
  readonly aggregator = 'sum';
  /** Children in the order they were first counted (what prom-client prints). */
  private readonly children = new Map<string, Child>();

  constructor(readonly name: string, readonly help: string, private readonly labelNames: readonly L[], registry: Registry) {
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** The child for these label values (in the order of `labelNames`); resolve it once, then inc() it. */
  labels(...values: string[]): { inc(by?: number): void } {
    if (values.length !== this.labelNames.length) throw new Error(`${this.name} takes ${this.labelNames.length} label values`);
    const key = values.join('\u0000');
    const labels: Record<string, string> = {};
    this.labelNames.forEach((n, i) => { labels[n] = values[i]; });
    const children = this.children;
    const name = this.name;
    return {
      inc(by = 1) {
        if (!(by >= 0)) throw new Error(`${name} can only go up, not by ${by}`);
        let c = children.get(key);
        if (c === undefined) children.set(key, (c = { labels, value: 0 }));
        c.value += by;
      },
    };
  }

  reset(): void { this.children.clear(); }

  get(): { name: string; help: string; type: string; aggregator: string; values: { labels: Record<string, string>; value: number }[] } {
    const values = [...this.children.values()].map((c) => ({ labels: c.labels, value: c.value }));
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
