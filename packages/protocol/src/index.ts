export * from './decimal-grid.ts';
export * from './errors.ts';
export * from './instruments.ts';
export * from './util/seeded-random.ts';
export * from './util/ts-worker.ts';
export * from './wire/tick.ts';
export * from './wire/tick-batch-binary.ts';
