// Cost of one weighted pick: the Fenwick index (WeightedIndex.pick), the projection's pick with a
// request's exclusion set of 2, a `:free` pick (the free index plus the pacer's count per key), and
// a naive linear-scan weighted pick as the baseline, in one run.

import type { Decoded } from '../../src/events/decode';
import { silentLog } from '../../src/log';
import { Projection } from '../../src/projection/projection';
import type { EventStore } from '../../src/store/event-store';
import type { SnapshotStore } from '../../src/store/snapshot-store';
import { seededRandom, WeightedIndex, type Random } from '../../src/domain/weighted-index';
import { benchKeyId } from './history';
import { median } from './stats';

export interface PickResult {
  keys: number;
  picks: number;
  runs: number;
  fenwickNs: number;
  /** As the proxy calls it on a request's first try: nothing tried yet. */
  projectionFirstNs: number;
  projectionExclude2Ns: number;
  /** A `:free` request's pick: paced per key (limits high enough that the pool never fills). */
  projectionFreeNs: number;
  baselinePicks: number;
  linearNs: number;
  /** linear / fenwick: how many times faster the index is than the scan. */
  speedup: number;
}

/** The naive way: scan the weights, subtracting until the draw falls inside one. O(n) per pick. */
class LinearPick {
  private total = 0;
  constructor(private readonly ids: string[], private readonly weights: Float64Array) {
    for (const w of weights) this.total += w;
  }
  pick(random: Random): string | null {
    let rest = random() * this.total;
    const w = this.weights;
    for (let i = 0; i < w.length; i++) {
      rest -= w[i];
      if (rest < 0) return this.ids[i];
    }
    return w.length ? this.ids[w.length - 1] : null;
  }
}

function time(picks: number, one: () => string | null | undefined): number {
  let misses = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < picks; i++) if (!one()) misses++;
  const ns = Number(process.hrtime.bigint() - started) / picks;
  if (misses) throw new Error(`${misses} picks found no key`);
  return ns;
}

/** The median ns per pick over `runs` timed runs, after one untimed warm-up run. */
function measure(runs: number, picks: number, make: () => () => string | null | undefined): number {
  time(Math.min(picks, 100_000), make());
  const out: number[] = [];
  for (let r = 0; r < runs; r++) out.push(time(picks, make()));
  return median(out);
}

function projectionWith(ids: string[], weights: Float64Array, seed: number): Projection {
  const none = {} as unknown; // picking never touches the stores
  const p = new Projection({
    events: none as EventStore, snapshots: none as SnapshotStore, log: silentLog,
    flushMs: 250, snapshotEvery: 1e9, snapshotsKept: 1, random: seededRandom(seed),
    freeLimits: () => ({ perWindow: 1e9, windowMs: 60_000, perDay: 1e12 }),
  });
  const at = Date.now();
  const rows: Decoded[] = ids.map((id, i) => ({
    ok: true,
    event: { seq: i + 1, origin: 'bench', type: 'KeyAdded', at, key_id: id, actor: 'admin', data: { weight: weights[i], masked: id, suffix: id.slice(-4) } },
  }));
  p.foldDecoded(rows);
  return p;
}

export function pickBench(keys: number, o: { picks: number; runs: number; linearBudget: number }): PickResult {
  const seedRandom = seededRandom(1234);
  const ids = Array.from({ length: keys }, (_, i) => benchKeyId(i));
  const weights = Float64Array.from(ids, () => 1 + Math.floor(seedRandom() * 10));

  const index = new WeightedIndex();
  ids.forEach((id, i) => index.set(id, weights[i]));
  const fenwickNs = measure(o.runs, o.picks, () => {
    const random = seededRandom(99);
    return () => index.pick(random);
  });

  const projection = projectionWith(ids, weights, 99);
  if (projection.index.size !== keys) throw new Error(`projection indexed ${projection.index.size} of ${keys} keys`);
  const none: string[] = [];
  const projectionFirstNs = measure(o.runs, o.picks, () => () => projection.pick(none)?.id);
  const tried = [ids[0], ids[Math.floor(keys / 2)]]; // a request that already tried two keys (failover)
  const projectionExclude2Ns = measure(o.runs, o.picks, () => () => projection.pick(tried)?.id);
  const projectionFreeNs = measure(o.runs, o.picks, () => () => projection.pick(none, true)?.id);

  // The scan is O(n): bound its picks so a run stays around `linearBudget` scanned slots.
  const baselinePicks = Math.max(1_000, Math.min(o.picks, Math.floor(o.linearBudget / keys)));
  const linear = new LinearPick(ids, weights);
  const linearNs = measure(o.runs, baselinePicks, () => {
    const random = seededRandom(99);
    return () => linear.pick(random);
  });

  return { keys, picks: o.picks, runs: o.runs, fenwickNs, projectionFirstNs, projectionExclude2Ns, projectionFreeNs, baselinePicks, linearNs, speedup: linearNs / fenwickNs };
}
