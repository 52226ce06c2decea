// Talks to a child process's inspector (started with --inspect=127.0.0.1:0) to collect garbage and read
// process.memoryUsage() inside it: memory figures after a full GC are stable, live ones depend on GC timing.

import { WebSocket } from 'undici';
import { waitForOutput, type Service } from './procs';

export interface Memory { rss: number; heapUsed: number; external: number; arrayBuffers: number }

export class Inspector {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();

  private constructor(private readonly ws: WebSocket) {
    ws.addEventListener('message', (ev) => {
      const msg = JSON.parse(String(ev.data)) as { id?: number; result?: unknown; error?: { message: string } };
      const w = msg.id === undefined ? undefined : this.waiting.get(msg.id);
      if (!w) return;
      this.waiting.delete(msg.id!);
      clearTimeout(w.timer);
      if (msg.error) w.reject(new Error(msg.error.message)); else w.resolve(msg.result);
    });
  }

  static async attach(s: Service, timeoutMs = 10_000): Promise<Inspector> {
    const m = await waitForOutput(s, /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[\w-]+)/, timeoutMs);
    const ws = new WebSocket(m[1]);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('inspector did not open')), timeoutMs);
      ws.addEventListener('open', () => { clearTimeout(timer); resolve(); });
      ws.addEventListener('error', () => { clearTimeout(timer); reject(new Error('inspector connection failed')); });
    });
    return new Inspector(ws);
  }

  call(method: string, params: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.waiting.delete(id); reject(new Error(`${method} timed out`)); }, timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** A full garbage collection, then process.memoryUsage() as the process sees it. */
  async memoryAfterGc(): Promise<Memory> {
    await this.call('HeapProfiler.collectGarbage');
    const r = await this.call('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true }) as { result: { value: string } };
    return JSON.parse(r.result.value) as Memory;
  }

  close(): void { this.ws.close(); }
}
