// A key's credit as OpenRouter's GET /key reports it, and when a new report is worth an event: the
// usage figures move with every request, so only a change an operator would act on is recorded
// (limit, reset, tier, crossing zero, a move of 1 % of the limit or a cent), or a day-old record.

export interface Credit {
  limit: number | null;
  limit_remaining: number | null;
  limit_reset: string | null;
  usage: number | null;
  usage_daily: number | null;
  usage_weekly: number | null;
  usage_monthly: number | null;
  is_free_tier: boolean | null;
}

const STALE_MS = 24 * 3_600_000;

/** Whether `next` should be recorded, given the key's recorded credit and when it was recorded. */
export function creditChanged(prev: Credit | null, prevAt: number | null, next: Credit, now: number): boolean {
  if (prev === null || prevAt === null) return true;
  if (now - prevAt >= STALE_MS) return true;
  if (prev.limit !== next.limit || prev.limit_reset !== next.limit_reset || prev.is_free_tier !== next.is_free_tier) return true;
  if (exhausted(prev) !== exhausted(next)) return true;
  const step = Math.max(0.01, (next.limit ?? 0) * 0.01);
  const moved = (a: number | null, b: number | null) => (a === null) !== (b === null) || Math.abs((a ?? 0) - (b ?? 0)) >= step;
  return moved(prev.limit_remaining, next.limit_remaining) || moved(prev.usage, next.usage) || moved(prev.usage_daily, next.usage_daily);
}

/** A spend limit with nothing left: the key cannot serve until a check shows room again. */
export function exhausted(c: Credit | null | undefined): boolean {
  return c !== null && c !== undefined && c.limit_remaining !== null && c.limit_remaining <= 0;
}

type Json = Record<string, unknown>;
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The credit in a GET /key answer's `data`, or null when it has none. */
export function creditFromKeyInfo(body: unknown): Credit | null {
  const data = typeof body === 'object' && body !== null ? (body as Json).data : null;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return null;
  const d = data as Json;
  return {
    limit: num(d.limit), limit_remaining: num(d.limit_remaining),
    limit_reset: typeof d.limit_reset === 'string' ? d.limit_reset.slice(0, 32) : null,
    usage: num(d.usage), usage_daily: num(d.usage_daily), usage_weekly: num(d.usage_weekly), usage_monthly: num(d.usage_monthly),
    is_free_tier: typeof d.is_free_tier === 'boolean' ? d.is_free_tier : null,
  };
}
