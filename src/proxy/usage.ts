// Token counts from an upstream answer without parsing or re-serialising the whole body: the
// `usage` object is found by its key and only its numbers are read.

/** `cost` is OpenRouter's usage.cost (credits), null when the answer carries none. */
export interface Usage { prompt_tokens: number; completion_tokens: number; total_tokens: number; cost: number | null }

const USAGE_KEY = Buffer.from('"usage"');
const WINDOW = 4096; // usage with all its details fits well inside this

/** Reads the last `"usage":{…}` in `buf` (a JSON body or one SSE data line); null when absent or null. */
export function readUsage(buf: Buffer, from = 0, to = buf.length): Usage | null {
  const at = buf.lastIndexOf(USAGE_KEY, to - 1);
  if (at < from) return null;
  const text = buf.toString('latin1', at + USAGE_KEY.length, Math.min(to, at + WINDOW));
  if (!/^\s*:\s*\{/.test(text)) return null;
  const prompt = numberAfter(text, '"prompt_tokens"');
  const completion = numberAfter(text, '"completion_tokens"');
  let total = numberAfter(text, '"total_tokens"');
  if (prompt === null && completion === null && total === null) return null;
  if (total === null) total = (prompt ?? 0) + (completion ?? 0);
  return { prompt_tokens: prompt ?? 0, completion_tokens: completion ?? 0, total_tokens: total, cost: costAfter(text) };
}

/** The first `"cost"` inside usage: a JSON number, decimals and exponents included. */
function costAfter(text: string): number | null {
  const i = text.indexOf('"cost"');
  if (i === -1) return null;
  const m = /^\s*:\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)/.exec(text.slice(i + 6, i + 40));
  return m ? Number(m[1]) : null;
}

function numberAfter(text: string, name: string): number | null {
  const i = text.indexOf(name);
  if (i === -1) return null;
  const m = /^\s*:\s*(\d+)/.exec(text.slice(i + name.length, i + name.length + 24));
  return m ? Number(m[1]) : null;
}
