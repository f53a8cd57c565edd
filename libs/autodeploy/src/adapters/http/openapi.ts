import type { OpenApiInfo } from '@sluice/platform';

/** Autodeploy's OpenAPI document (served at `/api/docs-json` with `setupOpenApi` from `@sluice/platform`). */
export const AUTODEPLOY_OPENAPI: OpenApiInfo = {
  title: 'Sluice autodeploy',
  description: 'Sluice REST API: configs, deploys, history, re-apply, pins, events, replay, tokens',
};
