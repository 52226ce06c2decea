// Reads a V8 .cpuprofile (node --cpu-prof) and ranks where the CPU went: self time per function and
// per package (node_modules/<name>, node: internals, this project's src/), so optimisation follows data.

import { readFileSync } from 'node:fs';

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; hitCount?: number; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

export interface Ranked { name: string; where: string; selfMs: number; share: number }
export interface ProfileSummary { totalMs: number; idleShare: number; functions: Ranked[]; packages: Ranked[] }

function place(url: string): string {
  if (url.startsWith('wasm://')) return 'wasm (in the proxy: undici\'s llhttp parser)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node internals';
  const src = url.indexOf('/src/');
  if (src >= 0) return `src/${url.slice(src + 5).split('/')[0]}`;
  return url;
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const src = url.lastIndexOf('/src/');
  if (src >= 0) return url.slice(src + 1);
  return url.replace(/^file:\/\//, '');
}

/**
 * `window` keeps only the samples taken between `endSkipMs + lengthMs` and `endSkipMs` before the
 * profile ended: the load, without the process's start-up (module loading) and shutdown.
 */
export function summarise(path: string, top = 20, window?: { endSkipMs: number; lengthMs: number }): ProfileSummary {
  const p = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const to = window ? p.endTime - window.endSkipMs * 1000 : Infinity;
  const from = window ? to - window.lengthMs * 1000 : -Infinity;
  let at = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    at += p.timeDeltas[i] ?? 0;
    if (at < from || at > to) continue;
    self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const fns = new Map<string, Ranked>();
  const pkgs = new Map<string, Ranked>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const ms = us / 1000;
    total += ms;
    const name = n.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') { idle += ms; continue; }
    const where = n.callFrame.url ? `${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}` : '';
    const fk = `${name}@${where}`;
    const f = fns.get(fk) ?? { name, where, selfMs: 0, share: 0 };
    f.selfMs += ms;
    fns.set(fk, f);
    // V8's own frames ((program), (garbage collector)) by name; other frames without a script are native code.
    const pk = n.callFrame.url ? place(n.callFrame.url) : name.startsWith('(') ? name : '(native)';
    const g = pkgs.get(pk) ?? { name: pk, where: '', selfMs: 0, share: 0 };
    g.selfMs += ms;
    pkgs.set(pk, g);
  }
  const busy = total - idle;
  const rank = (m: Map<string, Ranked>) => [...m.values()]
    .map((r) => ({ ...r, share: busy > 0 ? r.selfMs / busy : 0 }))
    .sort((a, b) => b.selfMs - a.selfMs);
  return { totalMs: total, idleShare: total > 0 ? idle / total : 0, functions: rank(fns).slice(0, top), packages: rank(pkgs).slice(0, top) };
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) { console.error('usage: tsx scripts/bench/cpu-profile.ts FILE.cpuprofile'); process.exit(2); }
  const s = summarise(file);
  console.log(`total ${s.totalMs.toFixed(0)} ms, idle ${(s.idleShare * 100).toFixed(1)}%`);
  for (const f of s.functions) console.log(`${(f.share * 100).toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(6)} ms  ${f.name}  ${f.where}`);
  console.log('--- by package');
  for (const f of s.packages) console.log(`${(f.share * 100).toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(6)} ms  ${f.name}`);
}
