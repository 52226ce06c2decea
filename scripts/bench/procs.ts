// Child processes for the proxy benchmark: the mock upstream and the proxy each run on their own,
// so neither shares an event loop with the load generator. Every wait is bounded in time.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { cpus } from 'node:os';
import { request } from 'undici';

export interface Service {
  name: string;
  child: ChildProcess;
  pid: number;
  /** Everything the process printed (stdout and stderr), for error messages. */
  output(): string;
  /** SIGTERM (the service's graceful shutdown), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<number | null>;
}

export function spawnService(name: string, args: string[], env: Record<string, string>, cwd: string): Service {
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (b: Buffer) => { out = (out + b.toString()).slice(-4000); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    name, child, pid: child.pid!,
    output: () => out,
    stop: async (graceMs = 10_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Resolves with the first match of `re` in the service's output; rejects after `timeoutMs` or on exit. */
export function waitForOutput(s: Service, re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = s.output().match(re);
      if (m) { done(); resolve(m); }
    };
    const onExit = () => { done(); reject(new Error(`${s.name} exited before it was ready:\n${s.output()}`)); };
    const timer = setTimeout(() => { done(); reject(new Error(`${s.name} not ready within ${timeoutMs} ms:\n${s.output()}`)); }, timeoutMs);
    const done = () => { clearTimeout(timer); s.child.stdout!.off('data', check); s.child.stderr!.off('data', check); s.child.off('exit', onExit); };
    s.child.stdout!.on('data', check);
    s.child.stderr!.on('data', check);
    s.child.once('exit', onExit);
    check();
  });
}

/** Polls `url` until it answers 200; rejects after `timeoutMs` or when the service exits. */
export async function waitForHttp(s: Service, url: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (s.child.exitCode !== null) throw new Error(`${s.name} exited (${s.child.exitCode}):\n${s.output()}`);
    try {
      const r = await request(url, { headersTimeout: 1000, bodyTimeout: 1000 });
      await r.body.dump();
      if (r.statusCode === 200) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${s.name} did not answer ${url} within ${timeoutMs} ms:\n${s.output()}`);
}

/** A free port on 127.0.0.1 (released at once; good enough for a benchmark on a quiet host). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Resident set size of a process, from /proc (Linux). */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** CPU time (user + system) a process used so far, in ms, from /proc (Linux). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

function cpuTicks(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - (f[4] ?? 0), total }; // idle and iowait are not busy
}

/** How many cores the whole machine kept busy over the next `ms` (Linux, from /proc/stat). */
export async function machineBusyCores(ms: number): Promise<number> {
  const a = cpuTicks();
  await new Promise((r) => setTimeout(r, ms));
  const b = cpuTicks();
  return b.total > a.total ? ((b.busy - a.busy) / (b.total - a.total)) * cpus().length : 0;
}

/**
 * Waits, at most `maxMs`, for a second in which the machine is busy with less than `cores` cores
 * (other people's work skews every figure). Returns the last figure seen.
 */
export async function waitForQuiet(cores: number, maxMs: number): Promise<number> {
  const end = Date.now() + maxMs;
  let busy = await machineBusyCores(1000);
  while (busy >= cores && Date.now() < end) busy = await machineBusyCores(1000);
  return busy;
}
