export * from './domain/previews';
export { PreviewDecisions, PREVIEW_INPUT_TYPES, PREVIEWS_ACTOR } from './application/preview-decisions';
export type { PreviewFacts, PullRequestHead } from './application/ports';
export { PgPreviewFacts, previewsMigrations } from './adapters/pg-preview-facts';
export { previewsParts, type PreviewsOptions } from './previews.providers';
export { PreviewFactsReplay } from './adapters/preview-facts-replay';
