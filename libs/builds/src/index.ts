export * from './domain/build-run';
export { BuildRunController, type BuildRunControllerOptions } from './adapters/build-run-controller';
export { BuildRequests, BUILDS_FIELD_MANAGER, type BuildRequestsOptions, type BuildStart, type PlacementVerdict } from './adapters/build-requests';
export { BuildReporter, buildReportMigrations } from './adapters/build-reporter';
export { BUILD_RUN_ADMISSION_PATH, BuildRunAdmission, startAdmissionServer, type AdmissionServer, type AdmissionServerOptions } from './adapters/admission-server';
