/**
 * Runs `tickstorm ARGS` (a run given --out prometheus=0 or --metrics-port 0) and scrapes the
 * /metrics it prints ("generator metrics: URL") as Prometheus would, every 100 ms, until the
 * endpoint goes away at the end of the run: the last text read holds the final figures (the
 * generator waits for that scrape). The child is killed if the caller's test ends first.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { BIN } from './cli.ts';

export interface ScrapedRun {
  code: number | null;
  stderr: string;
  /** Every text read, in order (the last one after the run ended). */
  texts: string[];
}

export async function runScraped(args: string[], onChild?: (c: ChildProcess) => void): Promise<ScrapedRun> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  onChild?.(child);
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  const url = await new Promise<string | null>((resolve) => {
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const m = /generator metrics: (http:\/\/\S+)/.exec(stderr);
      if (m !== null) resolve(m[1]);
    });
    void exited.then(() => resolve(null));
  });
  const texts: string[] = [];
  while (url !== null) {
    const text = await fetch(url).then(
      (r) => r.text(),
      () => null,
    );
    if (text === null) break;
    texts.push(text);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { code: await exited, stderr, texts };
}
