/** Polls `check` until it returns true or `timeoutMs` passes (then fails with `what`). Real time, no sleeps in tests. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => realSetTimeout(resolve, 5));
  }
}

// Captured before any test installs fake timers, so waitFor keeps polling in real time.
const realSetTimeout = globalThis.setTimeout;

/** Like `waitFor`, for an async check (one that asks the apiserver); polls every `intervalMs`. */
export async function waitForAsync(check: () => Promise<boolean>, what: string, timeoutMs = 30_000, intervalMs = 100): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => realSetTimeout(resolve, intervalMs));
  }
}
