export * from './domain/test-run';
export type { JobLog, TestJobs, TestReports, TestRunStore, TestRunView } from './application/ports';
export { TestPool, type TestPoolOptions } from './application/test-pool';
export { PgTestRunStore } from './adapters/pg-test-run-store';
export { KubeTestJobs, testJobFor, TEST_RUN_LABEL } from './adapters/kube-test-jobs';
export { jobLogLines, readJobPodLog, JOB_LOG_LIMIT_BYTES, JOB_LOG_TAIL_LINES } from './adapters/job-pod-log';
export { TestRunsController, TEST_POOL_SIZE, TEST_RUN_STORE } from './adapters/test-runs.controller';
export { testRunMigrations } from './adapters/migrations';
