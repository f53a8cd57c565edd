export * from './domain/dora';
export * from './application/dora-records';
export { DoraController, doraQuery } from './adapters/dora.controller';
export { registerDoraGauges } from './adapters/dora-gauges';
