// Small helpers shared by the benchmarks: medians, formatting, the machine description, time bounds.

import { cpus, loadavg, totalmem } from 'node:os';

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export const fmt = (x: number, digits = 1): string => (Number.isFinite(x) ? x.toFixed(digits) : String(x));
export const ms = (x: number): string => `${fmt(x, x < 10 ? 2 : 0)} ms`;
export const kb = (bytes: number): string => `${fmt(bytes / 1024, 1)} KB`;
export const mb = (bytes: number): string => `${fmt(bytes / 1024 / 1024, 1)} MB`;

export function machine(): string {
  const c = cpus();
  return `${c.length} cpu (${c[0]?.model.trim() ?? 'unknown'}), ${mb(totalmem())} RAM, node ${process.version}, ${process.platform}`;
}

/** The 1-minute load average: other work on the machine skews every figure, so each report states it. */
export const load = (): string => loadavg()[0].toFixed(2);

/** A deadline for a whole benchmark run: each phase asks before it starts and skips when time is up. */
export class Deadline {
  private readonly end: number;
  constructor(seconds: number) { this.end = Date.now() + seconds * 1000; }
  get left(): number { return Math.max(0, (this.end - Date.now()) / 1000); }
  passed(): boolean { return Date.now() >= this.end; }
}

/** Prints a table with aligned columns (markdown, so it can be pasted into BENCHMARKS.md). */
export function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const width = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(width[i])).join(' | ')} |`;
  return [line(head), `|${width.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}

export function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export function argNumber(name: string, def: number): number {
  const v = argValue(name);
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${v}`);
  return n;
}
