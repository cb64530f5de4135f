/** Worker entry for ts-worker.test.ts: proves TypeScript loaded and echoes its workerData. */
import { parentPort, workerData } from 'node:worker_threads';

const typed: { n: number; entry: string } = {
  n: (workerData as { n: number }).n * 2,
  entry: workerData.__entry,
};
parentPort!.postMessage(typed);
