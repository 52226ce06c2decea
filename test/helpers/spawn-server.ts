// The real process (`node -r tsx/cjs src/main.ts`) for the shutdown, crash and replica suites: signals,
// exit codes and SIGKILL need a process of its own. It listens on a free port (PORT=0, read back from
// its "Server listening" line), in a temp working directory (so no .env is read), with a clean
// environment plus what the test gives.

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const TSX = require.resolve('tsx/cjs');

export interface Exit { code: number | null; signal: NodeJS.Signals | null }

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** stdout and stderr as they came, in order. */
  output(): string;
  /** Log lines parsed as JSON (other lines are skipped). */
  logs(): Record<string, unknown>[];
  /** Resolves when the process has ended. */
  exited: Promise<Exit>;
  readonly running: boolean;
  /** Waits for a log line whose msg includes `text`. */
  waitForLog(text: string, ms?: number): Promise<void>;
  /** Graceful stop (SIGTERM) if still running; resolves once it has ended. */
  term(): Promise<Exit>;
  /** SIGKILL if still running; resolves once it has ended. */
  kill(): Promise<Exit>;
}

export async function spawnServer(env: Record<string, string>, cwd: string): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['-r', TSX, join(ROOT, 'src', 'main.ts')], {
    cwd,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd,
      PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ADMIN_PASSWORD: 'test-admin-password',
      EVENT_FLUSH_MS: '20', HEALTH_CHECK_INTERVAL_SECONDS: '3600',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (c: Buffer) => { out += c.toString(); for (const w of [...waiters]) w(); };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  let ended = false;
  const exited = new Promise<Exit>((res) => child.once('exit', (code, signal) => {
    ended = true;
    res({ code, signal });
    for (const w of [...waiters]) w();
  }));
  const stopWith = async (signal: NodeJS.Signals) => { if (!ended) child.kill(signal); return exited; };

  const waitFor = (test: () => string | null, what: string, ms: number) => new Promise<string>((res, rej) => {
    const check = () => {
      const hit = test();
      if (hit !== null) { done(); res(hit); } else if (ended) { done(); rej(new Error(`the server ended before ${what}:\n${out.slice(-3000)}`)); }
    };
    const timer = setTimeout(() => { done(); rej(new Error(`no ${what} within ${ms} ms:\n${out.slice(-3000)}`)); }, ms);
    const done = () => { clearTimeout(timer); waiters.delete(check); };
    waiters.add(check);
    check();
  });

  const logs = () => out.split('\n').flatMap((l) => { try { return [JSON.parse(l)]; } catch { return []; } });
  const url = await waitFor(() => {
    const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
    return m ? m[1] : null;
  }, 'listening line', 30_000).catch(async (err) => { await stopWith('SIGKILL'); throw err; });

  return {
    url, child, exited, logs,
    get running() { return !ended; },
    output: () => out,
    waitForLog: async (text, ms = 15_000) => {
      await waitFor(() => (logs().some((l) => String(l.msg ?? '').includes(text)) ? 'yes' : null), `log "${text}"`, ms);
    },
    term: () => stopWith('SIGTERM'),
    kill: () => stopWith('SIGKILL'),
  };
}
