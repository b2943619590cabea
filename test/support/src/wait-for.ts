/**
 * The one polling wait of the tests: a condition checked until it holds, with a deadline, never a sleep for
 * timing. It runs on real time even while a test has fake timers installed (the timer functions are captured
 * when this module loads, before any test can fake them).
 */
const realSetTimeout = globalThis.setTimeout;
const realSetImmediate = globalThis.setImmediate;
const realNow = performance.now.bind(performance);

/**
 * Polls `check` until it returns (or resolves to) true; fails with `timed out after <timeoutMs> ms waiting for
 * <what>` once `timeoutMs` has passed.
 *
 * @param timeoutMs - how long to keep trying, in ms. Default 30,000 (an apiserver or a daemon may take seconds).
 * @param everyMs - pause between two checks, in ms, after a turn of the event loop. Default 10; give more to a
 *   check that asks a server.
 */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000, everyMs = 10): Promise<void> {
  const deadline = realNow() + timeoutMs;
  while (!(await check())) {
    if (realNow() > deadline) throw new Error(`timed out after ${String(timeoutMs)} ms waiting for ${what}`);
    await new Promise((resolve) => realSetImmediate(resolve));
    await new Promise((resolve) => realSetTimeout(resolve, everyMs));
  }
}
