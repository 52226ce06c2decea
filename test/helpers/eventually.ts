// Waiting for an effect the way a user would: ask again (a public route, the mock's record) until the
// answer is what the test expects, instead of sleeping for a fixed time or reaching into the runtime.

/**
 * Calls `probe` every `intervalMs` until it returns a value other than undefined, null or false, and
 * returns that value. Fails after `timeoutMs` with `what` and the last value seen (or the last error).
 */
export async function eventually<T>(probe: () => T | Promise<T>, what = 'condition', timeoutMs = 3000, intervalMs = 10): Promise<Exclude<T, undefined | null | false>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v as Exclude<T, undefined | null | false>;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) {
      const seen = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`eventually: ${what} not met within ${timeoutMs} ms (last: ${seen})`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
