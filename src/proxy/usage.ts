// Token counts and cost from an upstream answer without parsing or re-serialising the whole body:
// the `usage` object is found by its key and only its numbers are read. Chat's names
// (prompt/completion) and Messages' and Responses' names (input/output) are both understood.

export interface Usage {
  prompt_tokens: number; completion_tokens: number; total_tokens: number;
  /** usage.cost in credits (USD), when the upstream reported it. */
  cost?: number;
}

const USAGE_KEY = Buffer.from('"usage"');
const WINDOW = 4096; // usage with all its details fits well inside this

/** Reads the last `"usage":{…}` in `buf` (a JSON body or one SSE event); null when absent or null. */
export function readUsage(buf: Buffer, from = 0, to = buf.length): Usage | null {
  const at = buf.lastIndexOf(USAGE_KEY, to - 1);
  if (at < from) return null;
  const text = buf.toString('latin1', at + USAGE_KEY.length, Math.min(to, at + WINDOW));
  if (!/^\s*:\s*\{/.test(text)) return null;
  let prompt = numberAfter(text, '"prompt_tokens"');
  let completion = numberAfter(text, '"completion_tokens"');
  let total = numberAfter(text, '"total_tokens"');
  if (prompt === null && completion === null) {
    const input = numberAfter(text, '"input_tokens"');
    completion = numberAfter(text, '"output_tokens"');
    // Anthropic's input_tokens leaves out cache reads and writes; the prompt is all three.
    const cached = (numberAfter(text, '"cache_read_input_tokens"') ?? 0) + (numberAfter(text, '"cache_creation_input_tokens"') ?? 0);
    prompt = input === null ? null : input + cached;
  }
  if (prompt === null && completion === null && total === null) return null;
  if (total === null) total = (prompt ?? 0) + (completion ?? 0);
  const u: Usage = { prompt_tokens: prompt ?? 0, completion_tokens: completion ?? 0, total_tokens: total };
  const cost = costAfter(text);
  if (cost !== null) u.cost = cost;
  return u;
}

/** The integer after `"name":` within 24 characters, or null. A loop, not a regex: it runs per answer. */
function numberAfter(text: string, name: string): number | null {
  const i = text.indexOf(name);
  if (i === -1) return null;
  let p = i + name.length;
  const end = Math.min(text.length, p + 24);
  while (p < end && isJsonSpace(text.charCodeAt(p))) p++;
  if (p >= end || text.charCodeAt(p) !== 58) return null; // ':'
  p++;
  while (p < end && isJsonSpace(text.charCodeAt(p))) p++;
  let n = 0;
  const from = p;
  for (let c = text.charCodeAt(p); p < end && c >= 48 && c <= 57; c = text.charCodeAt(++p)) n = n * 10 + (c - 48);
  return p > from ? n : null;
}

function isJsonSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/** The cost after `"cost":` (a JSON decimal such as 0.00042 or 4.2e-05), or null. A scan, not a regex. */
function costAfter(text: string): number | null {
  const i = text.indexOf('"cost"');
  if (i === -1) return null;
  let p = i + 6;
  const end = Math.min(text.length, p + 40);
  while (p < end && isJsonSpace(text.charCodeAt(p))) p++;
  if (p >= end || text.charCodeAt(p) !== 58) return null; // ':'
  p++;
  while (p < end && isJsonSpace(text.charCodeAt(p))) p++;
  const from = p;
  p = digits(text, p, end);
  if (p === from) return null;
  if (text.charCodeAt(p) === 46) { // '.'
    const q = digits(text, p + 1, end);
    if (q === p + 1) return null;
    p = q;
  }
  const e = text.charCodeAt(p);
  if (e === 101 || e === 69) { // 'e' | 'E'
    let q = p + 1;
    const sign = text.charCodeAt(q);
    if (sign === 43 || sign === 45) q++; // '+' | '-'
    const r = digits(text, q, end);
    if (r > q) p = r; // "1e" alone: the number ends before the e, as the regex read it
  }
  return Number(text.slice(from, p));
}

function digits(text: string, p: number, end: number): number {
  while (p < end) {
    const c = text.charCodeAt(p);
    if (c < 48 || c > 57) break;
    p++;
  }
  return p;
}
