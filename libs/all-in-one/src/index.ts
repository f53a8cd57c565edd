export * from './all-in-one';
export * from './all-in-one.config';
export { SERVICE_PARTS, type ServicePart } from './service-parts';
export { SHUTDOWN_GRACE_MS, stopOnSignals } from './shutdown';
