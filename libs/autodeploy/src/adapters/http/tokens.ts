/** Injection tokens of autodeploy's adapters. */
export const DEPLOY_SERVICE = Symbol('DEPLOY_SERVICE');
export const TOKEN_STORE = Symbol('TOKEN_STORE');
export const REPLAY_SERVICE = Symbol('REPLAY_SERVICE');
export const READ_MODEL_PROJECTION_INSTANCE = Symbol('READ_MODEL_PROJECTION_INSTANCE');
export const DEPLOY_EVENTS = Symbol('DEPLOY_EVENTS');
