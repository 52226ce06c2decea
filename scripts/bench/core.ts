/**
 * Core benchmark (issue 2): start-up over a long event history with and without a snapshot, on SQLite
 * (and MariaDB/MySQL when it answers), and the cost of one weighted pick.
 *
 *   npx tsx scripts/bench/core.ts                       # everything, ~5 minutes on 2 cores
 *   npx tsx scripts/bench/core.ts --only picks          # picks | sqlite | mysql (comma-separated)
 *   npx tsx scripts/bench/core.ts --events 1000000 --keys 10000 --after 10000 --runs 5 --mysql-events 200000
 *   npx tsx scripts/bench/core.ts --json /tmp/core.json # also write the raw figures
 *
 * Every phase is bounded in count; a whole run gives up on the phases left after --max-seconds (570).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshMysqlDatabase, MYSQL, mysqlAvailable } from '../../test/helpers/mysql';
import { pickBench, type PickResult } from './pick';
import { envFor, startupBench, type LoadRun, type StartupResult } from './startup';
import { argNumber, argValue, Deadline, fmt, load, machine, median, table } from './stats';

export interface CoreReport { machine: string; date: string; loadBefore: string; loadAfter: string; picks: PickResult[]; startup: StartupResult[]; skipped: string[] }

const say = (s: string) => console.log(s);

export async function runCore(): Promise<CoreReport> {
  const only = new Set((argValue('only') ?? 'picks,sqlite,mysql').split(','));
  const keys = argNumber('keys', 10_000);
  const events = argNumber('events', 1_000_000);
  const smallEvents = argNumber('small-events', 100_000);
  const mysqlEvents = argNumber('mysql-events', 200_000);
  const after = argNumber('after', 10_000);
  const runs = argNumber('runs', 5);
  const deadline = new Deadline(argNumber('max-seconds', 570));
  const report: CoreReport = { machine: machine(), date: new Date().toISOString(), loadBefore: load(), loadAfter: '', picks: [], startup: [], skipped: [] };
  say(`core benchmark: ${report.machine}`);

  const phase = async (name: string, run: () => Promise<void>) => {
    if (deadline.passed()) { report.skipped.push(`${name} (time budget used up)`); say(`  skipped ${name}: time budget used up`); return; }
    await run();
  };

  if (only.has('picks')) {
    for (const n of [100, 10_000, 100_000]) {
      await phase(`picks at ${n} keys`, async () => {
        const r = pickBench(n, { picks: 1_000_000, runs, linearBudget: 2e8 });
        report.picks.push(r);
        say(`  pick at ${n} keys: fenwick ${fmt(r.fenwickNs)} ns, projection first try ${fmt(r.projectionFirstNs)} ns, projection (exclude 2) ${fmt(r.projectionExclude2Ns)} ns, projection :free ${fmt(r.projectionFreeNs)} ns, linear ${fmt(r.linearNs)} ns`);
      });
    }
  }

  if (only.has('sqlite')) {
    // Two history lengths with the same keys: start-up from a snapshot should not care which.
    for (const total of smallEvents < events ? [smallEvents, events] : [events]) {
      await phase(`SQLite ${total} events`, async () => {
        const dir = mkdtempSync(join(tmpdir(), 'orp-bench-'));
        try {
          const config = envFor({ DB_CONNECTION_STRING_SQLITE: join(dir, 'bench.db') });
          report.startup.push(await startupBench('SQLite', config, { keys, events: total, after, runs }, say));
        } finally { rmSync(dir, { recursive: true, force: true }); }
      });
    }
  }

  if (only.has('mysql')) {
    await phase(`MySQL ${mysqlEvents} events`, async () => {
      if (!(await mysqlAvailable())) { report.skipped.push('MySQL (not reachable)'); return; }
      const db = await freshMysqlDatabase();
      try {
        const config = envFor({
          DB_TYPE: 'mysql', MYSQL_HOST: MYSQL.host, MYSQL_PORT: String(MYSQL.port), MYSQL_USER: MYSQL.user,
          MYSQL_PASSWORD: MYSQL.password, MYSQL_DBNAME: db.database,
        });
        report.startup.push(await startupBench('MySQL', config, { keys, events: mysqlEvents, after, runs: Math.min(runs, 3) }, say));
      } finally { await db.drop(); }
    });
  }

  report.loadAfter = load();
  print(report);
  const json = argValue('json');
  if (json) writeFileSync(json, JSON.stringify(report, null, 2));
  return report;
}

function print(r: CoreReport): void {
  say(`\n## Core benchmark — ${r.date}\n${r.machine}; load average ${r.loadBefore} before, ${r.loadAfter} after\n`);
  if (r.picks.length) {
    say('One weighted pick (ns, median of runs of 1e6 picks; the linear baseline runs fewer picks at large n):\n');
    say(table(
      ['keys', 'WeightedIndex.pick', 'Projection.pick, first try', 'Projection.pick, 2 tried (failover)', 'linear scan (baseline)', 'baseline / index', 'target < 2000 ns (index / first try / failover)'],
      r.picks.map((p) => [p.keys, fmt(p.fenwickNs), fmt(p.projectionFirstNs), fmt(p.projectionExclude2Ns), `${fmt(p.linearNs)} (${p.baselinePicks} picks)`, `${fmt(p.speedup)}×`,
        p.keys === 100_000 ? [p.fenwickNs, p.projectionFirstNs, p.projectionExclude2Ns].map((x) => (x < 2000 ? 'met' : 'NOT met')).join(' / ') : '']),
    ));
    say('');
  }
  if (r.startup.length) {
    const m = (xs: LoadRun[]) => `${fmt(median(xs.map((x) => x.ms)), 1)}`;
    say('Start-up (ms, median of runs; open database + load projection):\n');
    say(table(
      ['store', 'keys', 'history', 'append/s', 'full replay', 'from snapshot', 'snapshot + N after', 'createRuntime (snapshot + N)', 'snapshot size', 'target < 1000 ms'],
      r.startup.map((s) => [s.store, s.keys, s.events, fmt(s.append.perSecond, 0), m(s.full), m(s.snapshot), `${m(s.snapshotPlus)} (N=${s.after})`,
        fmt(median(s.runtime), 1), `${fmt(s.snapshotBytes / 1024 / 1024, 1)} MB`, median(s.snapshot.map((x) => x.ms)) < 1000 ? 'met' : 'NOT met']),
    ));
    say('');
  }
  if (r.skipped.length) say(`Skipped: ${r.skipped.join('; ')}`);
}

if (require.main === module) {
  runCore().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
}
