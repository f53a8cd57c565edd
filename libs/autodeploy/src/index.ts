export * from './autodeploy.config';
export * from './autodeploy.module';
