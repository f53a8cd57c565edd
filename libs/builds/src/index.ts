export * from './domain/build-run';
export { BuildRunController, type BuildRunControllerOptions } from './adapters/build-run-controller';
