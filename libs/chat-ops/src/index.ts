export * from './slack/request-verification';
export * from './domain/deploy-command';
export { renderDeployMessage, closestNames, actorMention } from './domain/deploy-message';
export { chatOpsSettingsSchema, slackAppOf, type ChatOpsSettings, type SlackAppSettings } from './chat-ops.settings';
export { ChatDeployRefused, type ChatCatalogue, type ChatConfig, type ChatDeploys, type ChatDeployView } from './application/ports';
export { chatOpsMigrations } from './adapters/pg-deploy-messages';
export { chatOpsParts, CHAT_CATALOGUE, CHAT_DEPLOYS } from './chat-ops.providers';
