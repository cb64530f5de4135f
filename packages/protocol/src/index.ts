export * from './errors.ts';
export * from './decimal-grid.ts';
export * from './instruments.ts';
