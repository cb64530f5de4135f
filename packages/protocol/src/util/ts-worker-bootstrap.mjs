// Worker bootstrap: makes TypeScript loadable in this worker thread (tsx's ESM hooks),
// then imports the real entry (a .ts file URL) that spawnTsWorker passed in workerData.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.__entry);
