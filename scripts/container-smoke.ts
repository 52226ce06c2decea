// Performs the Dockerfile's steps without Docker, in a clean temporary folder, and proves the result
// serves and keeps its data across a restart:
//   - each stage gets its own folder standing in for its WORKDIR; COPY copies from the build context
//     (the repository filtered by .dockerignore) or from an earlier stage; RUN runs its npm commands
//     (apt-get lines are skipped: this machine has the toolchain);
//   - the runtime stage's ENV is applied, with paths under its VOLUME mapped to a temp folder standing
//     in for the mounted volume, and its CMD is run as given;
//   - checks /healthz, /readyz, the HEALTHCHECK command, the dashboard, /metrics; adds a key through the
//     admin API; stops with SIGTERM (exit 0); checks nothing was written outside the volume; runs the
//     README's one-off `node dist/scripts/encrypt-keys.js` on the volume; starts a fresh copy of the
//     runtime folder (a new container) on the same volume with KEY_ENCRYPTION_SECRET: the keys are there.
// Usage: npx tsx scripts/container-smoke.ts [--keep]
// npm installs prefer the local npm cache, and better-sqlite3 reuses the binary compiled in this
// repository's node_modules as a local prebuild when one matches (the image downloads or compiles it).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, copyFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, posix, relative, resolve } from 'node:path';

export interface Instruction { op: string; args: string }
export interface Stage { name: string; steps: Instruction[] }

/** FROM … AS name starts a stage; continuation lines are joined; comments are dropped. */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  let buffer = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!buffer && (line === '' || line.startsWith('#'))) continue;
    if (buffer && line.startsWith('#')) continue;
    if (line.endsWith('\\')) { buffer += `${line.slice(0, -1).trim()} `; continue; }
    const full = (buffer + line).trim();
    buffer = '';
    if (!full) continue;
    const op = full.split(/\s+/)[0];
    const args = full.slice(op.length).trim();
    if (op.toUpperCase() === 'FROM') {
      const as = /\s+AS\s+(\S+)\s*$/i.exec(args);
      stages.push({ name: as ? as[1] : String(stages.length), steps: [] });
    } else if (stages.length) stages[stages.length - 1].steps.push({ op: op.toUpperCase(), args });
    else if (op.toUpperCase() !== 'ARG') throw new Error(`Dockerfile: ${op} before FROM`);
  }
  return stages;
}

/** `K=V K2="V 2"` as in ENV. */
export function parseEnv(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|'([^']*)'|\S*)/g)) out[m[1]] = m[3] ?? m[4] ?? m[2];
  return out;
}

/** .dockerignore semantics: patterns relative to the context root, `**` across folders, last match wins, `!` re-includes. */
export function dockerignore(text: string): (rel: string) => boolean {
  const rules = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((l) => {
    const negate = l.startsWith('!');
    const pattern = posix.normalize((negate ? l.slice(1) : l).replace(/^\/+/, '')).replace(/\/+$/, '');
    return { negate, re: globToRegExp(pattern) };
  });
  return (rel: string) => {
    let excluded = false;
    const parts = rel.split('/');
    for (const r of rules) {
      // A pattern that matches a parent folder matches everything inside it.
      for (let i = 1; i <= parts.length; i++) {
        if (r.re.test(parts.slice(0, i).join('/'))) { excluded = !r.negate; break; }
      }
    }
    return excluded;
  };
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      if (glob[i + 2] === '/') { re += '(?:.*/)?'; i += 2; } else { re += '.*'; i += 1; }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export interface SmokeOptions {
  repo: string;
  keep?: boolean;
  log?: (line: string) => void;
  /** Fail (instead of reporting `npmUnavailable`) when npm cannot install from cache or registry. */
  requireNpm?: boolean;
}

export interface SmokeResult { ok: true; folder: string; steps: string[] }

export class NpmUnavailableError extends Error {}

const ADMIN_PASSWORD = 'smoke-admin-password-1';
const ENCRYPTION_SECRET = 'smoke-encryption-secret-0123456789';
const key = (n: number) => `sk-or-v1-${n.toString(16).padStart(64, '0')}`;

export async function containerSmoke(o: SmokeOptions): Promise<SmokeResult> {
  const log = o.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const steps: string[] = [];
  const step = (s: string) => { steps.push(s); log(`  · ${s}`); };
  const repo = resolve(o.repo);
  const root = mkdtempSync(join(tmpdir(), 'orp-container-'));
  const stagesDir = join(root, 'stages');
  const volume = join(root, 'volume'); // stands in for the host folder mounted at /app/data
  const children: ChildProcess[] = [];
  try {
    const stages = parseDockerfile(readFileSync(join(repo, 'Dockerfile'), 'utf8'));
    const context = join(root, 'context');
    copyContext(repo, context, dockerignore(readFileSync(join(repo, '.dockerignore'), 'utf8')));
    step(`build context copied as .dockerignore allows (${relative(root, context)})`);
    const npmEnv = npmEnvironment(repo, root);
    const image = await buildStages(stages, context, stagesDir, npmEnv, step);
    mkdirSync(volume, { recursive: true });
    // ENV paths inside the volume point into the stand-in volume, other paths into the stage folder.
    const mapPath = (dir: string, v: string) => {
      if (v === image.volume || v.startsWith(`${image.volume}/`)) return join(volume, v.slice(image.volume!.length));
      if (v.startsWith(`${image.workdir}/`)) return join(dir, v.slice(image.workdir.length));
      return v;
    };
    const before = listing(image.dir);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const containerEnv = (dir: string) => {
      const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: root };
      for (const [k, v] of Object.entries(image.env)) env[k] = mapPath(dir, v);
      return env;
    };
    const start = (dir: string, extra: Record<string, string>) => {
      const env = containerEnv(dir);
      Object.assign(env, {
        // what `--env-file .env` and `-p` would give the container
        PORT: String(port), HOST: '127.0.0.1', ADMIN_PASSWORD, OPENROUTER_BASE_URL: 'http://127.0.0.1:9/api/v1', ...extra,
      });
      const [bin, ...args] = image.cmd;
      const child = spawn(bin === 'node' ? process.execPath : bin, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      const output: string[] = [];
      child.stdout!.on('data', (c) => output.push(String(c)));
      child.stderr!.on('data', (c) => output.push(String(c)));
      return { child, env, output };
    };

    // --- first container ---
    const dbEnv = image.env.DB_CONNECTION_STRING_SQLITE;
    const first = start(image.dir, { OPENROUTER_API_KEYS: key(1) });
    await waitHealthy(base, first.child, first.output);
    step(`started \`${image.cmd.join(' ')}\` with ${image.volume} → ${volume}`);
    await expectJson(`${base}/healthz`, 200, (b) => b.status === 'ok');
    await expectJson(`${base}/readyz`, 200, () => true);
    step('/healthz and /readyz answer 200');
    if (image.health) {
      const [bin, ...args] = image.health;
      const hc = spawnSync(bin === 'node' ? process.execPath : bin, args, { cwd: image.dir, env: first.env, timeout: 10_000 });
      if (hc.status !== 0) throw new Error(`the HEALTHCHECK command failed (exit ${hc.status}): ${hc.stderr}`);
      step('the HEALTHCHECK command exits 0');
    }
    const page = await fetch(`${base}/admin/login`);
    if (page.status !== 200 || !(page.headers.get('content-type') ?? '').includes('text/html')) {
      throw new Error(`GET /admin/login: ${page.status} ${await page.text()} (is admin-ui/dist in the image?)`);
    }
    step('the dashboard is served from the image (GET /admin/login)');
    await expectKeys(base, 1);
    step('/metrics counts the seeded key');
    const cookie = await login(base);
    const added = await adminJson(base, cookie, 'POST', '/admin/add-keys', { key_data: key(2) });
    if (added.added_count !== 1) throw new Error(`add-keys: ${JSON.stringify(added)}`);
    step('a key added through the admin API');
    if (dbEnv && !existsSync(mapPath(image.dir, dbEnv))) throw new Error(`no database at ${mapPath(image.dir, dbEnv)}`);
    await stopWith(first.child, 'SIGTERM', first.output);
    step('SIGTERM: exit code 0');

    // --- a new container on the same volume ---
    const after = listing(image.dir);
    const written = [...after].filter((f) => !before.has(f));
    if (written.length) throw new Error(`the service wrote outside the volume (read-only for it in the image): ${written.slice(0, 5).join(', ')}`);
    step('nothing was written outside the volume');
    const fresh = join(stagesDir, `${posix.basename(image.dir)}-again`);
    cpSync(image.dir, fresh, { recursive: true });
    // The README's one-off in the image: encrypt the stored keys, then start with the secret.
    const script = join(fresh, 'dist', 'scripts', 'encrypt-keys.js');
    const encrypt = spawnSync(process.execPath, [script], { cwd: fresh, env: { ...containerEnv(fresh), KEY_ENCRYPTION_SECRET: ENCRYPTION_SECRET }, encoding: 'utf8' });
    if (encrypt.status !== 0 || !encrypt.stdout.includes('2 encrypted')) throw new Error(`node dist/scripts/encrypt-keys.js: exit ${encrypt.status}\n${encrypt.stdout}${encrypt.stderr}`);
    step('node dist/scripts/encrypt-keys.js encrypted the stored keys');
    const second = start(fresh, { OPENROUTER_API_KEYS: key(3), KEY_ENCRYPTION_SECRET: ENCRYPTION_SECRET });
    await waitHealthy(base, second.child, second.output);
    await expectKeys(base, 2);
    const status = await adminJson(base, await login(base), 'GET', '/admin/key-status?limit=10');
    if (status.total_keys !== 2) throw new Error(`after the restart key-status says ${JSON.stringify(status)}`);
    step('restarted from a fresh copy on the same volume with the secret: both keys kept and decrypted, the seed list not imported again');
    await stopWith(second.child, 'SIGTERM', second.output);
    step('SIGTERM: exit code 0');
    return { ok: true, folder: root, steps };
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (!o.keep) rmSync(root, { recursive: true, force: true });
    else log(`  (kept ${root})`);
  }
}

interface Image { dir: string; workdir: string; env: Record<string, string>; cmd: string[]; health: string[] | null; volume: string | null }
type Folder = { dir: string; workdir: string };

/** Runs every stage, as BuildKit does: independent stages at once, a COPY --from waiting for its stage. */
async function buildStages(stages: Stage[], context: string, stagesDir: string, npmEnv: NodeJS.ProcessEnv, step: (s: string) => void): Promise<Image> {
  const built = new Map<string, Promise<Folder>>();
  const images: Promise<Image>[] = [];
  for (const stage of stages) {
    const image = buildStage(stage, context, join(stagesDir, stage.name), built, npmEnv, step);
    const folder = image.then((i) => ({ dir: i.dir, workdir: i.workdir }));
    folder.catch(() => undefined); // a failed stage is reported once, through Promise.all below
    built.set(stage.name, folder);
    images.push(image);
  }
  const all = await Promise.all(images);
  const runtime = all[all.length - 1];
  if (!runtime || runtime.cmd.length === 0) throw new Error('the last stage has no CMD');
  if (!runtime.volume) throw new Error('the runtime stage declares no VOLUME');
  return runtime;
}

async function buildStage(stage: Stage, context: string, dir: string, built: Map<string, Promise<Folder>>, npmEnv: NodeJS.ProcessEnv, step: (s: string) => void): Promise<Image> {
  mkdirSync(dir, { recursive: true });
  const image: Image = { dir, workdir: '/', env: {}, cmd: [], health: null, volume: null };
  const map = (p: string) => join(dir, relative(image.workdir, posix.resolve(image.workdir, p)));
  for (const s of stage.steps) {
    switch (s.op) {
      case 'ARG': case 'EXPOSE': case 'USER': case 'STOPSIGNAL': case 'LABEL': break;
      case 'WORKDIR': image.workdir = posix.resolve(image.workdir, s.args); break;
      case 'ENV': Object.assign(image.env, parseEnv(s.args)); break;
      case 'VOLUME': image.volume = s.args.replace(/^\[?"?|"?\]?$/g, ''); break;
      case 'CMD': image.cmd = JSON.parse(s.args); break;
      case 'HEALTHCHECK': image.health = JSON.parse(s.args.slice(s.args.indexOf('CMD') + 3).trim()); break;
      case 'COPY': {
        const words = s.args.split(/\s+/);
        const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
        const paths = words.filter((w) => !w.startsWith('--'));
        const dest = paths.pop()!;
        const source = from ? await stageFolder(built, from) : null;
        for (const src of paths) {
          const base = source ? inStage(source, from!, src) : join(context, src);
          const target = dest.endsWith('/') || paths.length > 1 ? join(map(dest), src === '.' ? '' : posix.basename(src)) : map(dest);
          if (!existsSync(base)) throw new Error(`COPY ${s.args}: ${base} does not exist`);
          cpSync(base, target, { recursive: true });
        }
        break;
      }
      case 'RUN': {
        const command = s.args;
        if (/^apt-get\b/.test(command)) break; // system packages: this machine has them
        if (/^mkdir -p (\S+) && chown \S+ \S+$/.test(command)) break; // the volume's mount point: a temp folder stands in
        if (!/^npm (ci|run)\b/.test(command)) throw new Error(`container-smoke does not know how to run: RUN ${command}`);
        const started = performance.now();
        await runNpm(command, dir, npmEnv);
        step(`${stage.name}: ${command} (${((performance.now() - started) / 1000).toFixed(1)}s)`);
        break;
      }
      default: throw new Error(`container-smoke does not know the instruction ${s.op}`);
    }
  }
  return image;
}

function stageFolder(built: Map<string, Promise<Folder>>, name: string): Promise<Folder> {
  const f = built.get(name);
  if (!f) throw new Error(`COPY --from=${name}: no such stage before this one`);
  return f;
}

/** A path of an earlier stage's image (e.g. /app/dist) in that stage's folder, which stands in for its WORKDIR. */
function inStage(f: Folder, name: string, path: string): string {
  const rel = posix.relative(f.workdir, posix.resolve(f.workdir, path));
  if (rel.startsWith('..')) throw new Error(`COPY --from=${name} ${path}: outside that stage's WORKDIR ${f.workdir}`);
  return join(f.dir, rel);
}

function copyContext(repo: string, to: string, ignored: (rel: string) => boolean): void {
  const walk = (rel: string) => {
    const from = join(repo, rel);
    for (const entry of readdirSync(from, { withFileTypes: true })) {
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!ignored(r)) walk(r); // no `!` pattern re-includes anything inside an excluded folder here
      } else if (entry.isFile() && !ignored(r)) {
        mkdirSync(join(to, rel), { recursive: true });
        copyFileSync(join(from, entry.name), join(to, r));
      }
    }
  };
  mkdirSync(to, { recursive: true });
  walk('');
}

/** npm with the local cache first, and the compiled better-sqlite3 offered as a local prebuild. */
function npmEnvironment(repo: string, root: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  env.npm_config_update_notifier = 'false';
  if (process.env.npm_config_cache) env.npm_config_cache = process.env.npm_config_cache;
  const pkgDir = join(repo, 'node_modules', 'better-sqlite3');
  const binary = join(pkgDir, 'build', 'Release', 'better_sqlite3.node');
  if (existsSync(binary)) {
    const version = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version as string;
    const prebuilds = join(root, 'prebuilds');
    mkdirSync(prebuilds, { recursive: true });
    const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
    const tar = spawnSync('tar', ['-czf', join(prebuilds, name), '-C', pkgDir, 'build/Release/better_sqlite3.node']);
    // Read by prebuild-install; npm warns that it does not know it (sh drops prebuild-install's own rc names).
    if (tar.status === 0) env.npm_config_better_sqlite3_local_prebuilds = prebuilds;
  }
  return env;
}

function runNpm(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  const args = command.split(/\s+/).slice(1);
  if (args[0] === 'ci') args.push('--prefer-offline');
  return new Promise((resolve, reject) => {
    const child = spawn('npm', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (c) => { out += c; });
    child.stderr!.on('data', (c) => { out += c; });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) return resolve();
      if (/ENOTCACHED|EAI_AGAIN|ENOTFOUND|ECONNREFUSED|ETIMEDOUT|network/i.test(out) && args[0] === 'ci') {
        return reject(new NpmUnavailableError(`npm ${args.join(' ')} could not reach the registry or the cache:\n${tail(out)}`));
      }
      reject(new Error(`npm ${args.join(' ')} failed (exit ${code}):\n${tail(out)}`));
    });
  });
}

function tail(text: string, lines = 30): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** Every file under a folder with its size: what the service may not change outside its volume. */
function listing(dir: string): Set<string> {
  const out = new Set<string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.add(`${relative(dir, p)} ${e.isFile() ? statSync(p).size : 'link'}`);
    }
  };
  walk(dir);
  return out;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

async function waitHealthy(base: string, child: ChildProcess, output: string[], ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}:\n${tail(output.join(''))}`);
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.status === 200) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the service did not answer /healthz within ${ms / 1000}s:\n${tail(output.join(''))}`);
}

async function expectJson(url: string, status: number, check: (body: Record<string, unknown>) => boolean): Promise<void> {
  const r = await fetch(url);
  const text = await r.text();
  if (r.status !== status || !check(JSON.parse(text))) throw new Error(`GET ${url}: ${r.status} ${text}`);
}

async function expectKeys(base: string, active: number): Promise<void> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = /^orp_keys\{status="active"\} (\d+)$/m.exec(text);
  if (!m || Number(m[1]) !== active) throw new Error(`/metrics: expected ${active} active keys, got ${m ? m[1] : 'no orp_keys series'}`);
}

async function login(base: string): Promise<string> {
  const r = await fetch(`${base}/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: ADMIN_PASSWORD }) });
  const cookie = (r.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]).find((c) => c.startsWith('orp_admin='));
  if (r.status !== 200 || !cookie) throw new Error(`POST /admin/login: ${r.status} ${await r.text()}`);
  return cookie;
}

async function adminJson(base: string, cookie: string, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const r = await fetch(base + path, {
    method, headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return JSON.parse(text);
}

function stopWith(child: ChildProcess, signal: NodeJS.Signals, output: string[], ms = 20_000): Promise<void> {
  return new Promise((res, rej) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); rej(new Error(`no exit within ${ms / 1000}s of ${signal}:\n${tail(output.join(''))}`)); }, ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) res(); else rej(new Error(`exit code ${code} after ${signal}:\n${tail(output.join(''))}`));
    });
    child.kill(signal);
  });
}

if (require.main === module) {
  const started = performance.now();
  process.stdout.write('container smoke: the Dockerfile\'s steps outside Docker\n');
  containerSmoke({ repo: join(__dirname, '..'), keep: process.argv.includes('--keep') })
    .then(() => process.stdout.write(`ok (${((performance.now() - started) / 1000).toFixed(0)}s)\n`))
    .catch((err) => { process.stderr.write(`FAILED: ${(err as Error).message}\n`); process.exit(1); });
}

