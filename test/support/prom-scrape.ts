/**
 * Reading a generator's /metrics in the CLI tests: the URL a watched child prints on stderr
 * ("generator metrics: URL"), scraping it as Prometheus would (every 100 ms) until it goes
 * away, the samples of a text, and promtool's verdict on it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { promSamples } from '@tickstorm/loadlab/testing';
import type { Watched } from './child.ts';

export const PROMTOOL = '/usr/bin/promtool';

/** The samples of a text exposition (the lab's own parser). */
export { promSamples as samples } from '@tickstorm/loadlab/testing';

/** The sum of `name`'s samples whose labels include `labels`. */
export function total(text: string, name: string, labels: Record<string, string> = {}): number {
  return promSamples(text)
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);
}

/** Resolves with the URL the child prints on stderr; rejects if it exits first. */
export function metricsUrl(w: Watched): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = /generator metrics: (http:\/\/\S+)/.exec(w.stderr());
      if (m === null) return false;
      w.child.stderr?.off('data', onData);
      resolve(m[1]);
      return true;
    };
    const onData = () => void check();
    w.child.stderr?.on('data', onData);
    if (!check())
      void w.exited.then(() => {
        if (!check()) reject(new Error(`exited without a metrics URL:\n${w.stdout()}\n${w.stderr()}`));
      });
  });
}

/**
 * performance.now() when `re` first shows in the child's stdout or stderr (as its data
 * arrives); rejects if it exits without it.
 */
export function firstSeen(w: Watched, stream: 'stdout' | 'stderr', re: RegExp): Promise<number> {
  const text = () => (stream === 'stdout' ? w.stdout() : w.stderr());
  const pipe = stream === 'stdout' ? w.child.stdout : w.child.stderr;
  return new Promise((resolve, reject) => {
    const onData = () => {
      if (!re.test(text())) return;
      pipe?.off('data', onData);
      resolve(performance.now());
    };
    pipe?.on('data', onData);
    onData();
    void w.exited.then(() => {
      if (!re.test(text())) reject(new Error(`exited without ${re}:\n${w.stdout()}\n${w.stderr()}`));
    });
  });
}

export interface Scrape {
  /** performance.now() when it was asked for. */
  at: number;
  text: string;
}

/** Scrapes `url` every 100 ms until it stops answering; every text read, in order. */
export async function scrapeUntilGone(url: string): Promise<Scrape[]> {
  const out: Scrape[] = [];
  for (;;) {
    const at = performance.now();
    const text = await fetch(url).then(
      (r) => r.text(),
      () => null,
    );
    if (text === null) return out;
    out.push({ at, text });
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Scrapes `url` every 100 ms until `done(text)` holds (at most `timeoutMs`); every text read.
 * Rejects with the last text when the endpoint goes away or time runs out.
 */
export async function scrapeUntil(
  url: string,
  done: (text: string) => boolean,
  timeoutMs = 30_000,
): Promise<string[]> {
  const out: string[] = [];
  const end = performance.now() + timeoutMs;
  for (;;) {
    const text = await fetch(url).then((r) => r.text());
    out.push(text);
    if (done(text)) return out;
    if (performance.now() > end) throw new Error(`not reached within ${timeoutMs} ms; last scrape:\n${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** promtool check metrics accepts `text` (a diagnostic instead when promtool is missing). */
export function assertPromtoolAccepts(t: TestContext, text: string): void {
  if (!existsSync(PROMTOOL)) {
    t.diagnostic(`${PROMTOOL} missing: the scraped text was not linted`);
    return;
  }
  const lint = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(`${lint.stdout}${lint.stderr}`.trim(), '', 'promtool has no complaint');
  assert.equal(lint.status, 0);
}
