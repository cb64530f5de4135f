/**
 * Polls `check` every 20 ms until it holds, at most `waitMs`; then throws naming `what`, with
 * `detail()` (what the test had seen) for the failure's message.
 */
export async function until(
  what: string,
  check: () => boolean,
  waitMs: number,
  detail: () => string = () => '',
): Promise<void> {
  const end = performance.now() + waitMs;
  while (!check()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}: ${detail()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
