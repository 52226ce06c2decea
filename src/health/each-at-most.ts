// Runs `task` for every item, at most `concurrency` at a time, until done or `signal` aborts. A task
// that throws is reported to `onError` and the others go on.

export async function eachAtMost<T>(
  items: readonly T[], concurrency: number, task: (item: T) => Promise<unknown>,
  onError: (err: unknown, item: T) => void, signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal?.aborted) {
      const item = items[next++];
      try { await task(item); } catch (err) { onError(err, item); }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
