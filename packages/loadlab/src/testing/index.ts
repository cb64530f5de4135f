/**
 * `@tickstorm/loadlab/testing`: synthetic results for testing reports and gates. Each builder
 * records seeded latency samples into real HdrHistograms and returns a ScenarioResult (or a
 * RunReport) in the shape a run produces, so report code can be tested without a target.
 */
export * from './fixtures.ts';
export * from './hand-scenario.ts';
export * from './local-server.ts';
export * from './png.ts';
export * from './prom-samples.ts';
export * from './recorded-scenario.ts';
