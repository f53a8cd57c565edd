/** The service's TypeORM DataSource on its own schema. */
export const SERVICE_DATA_SOURCE = Symbol('SERVICE_DATA_SOURCE');
export const EVENT_STORE_OPTIONS = Symbol('EVENT_STORE_OPTIONS');
