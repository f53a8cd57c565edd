export * from './all-in-one';
export * from './all-in-one.config';
export { SERVICE_PARTS, type ServicePart } from './service-parts';
