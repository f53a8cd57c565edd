import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/**
 * Serves the OpenAPI document at `/api/docs-json` (ARCHITECTURE §7) and Swagger UI at
 * `/api/docs`. Call before `app.init()`/`listen()`: routes added later sit behind Nest's 404 handler.
 */
export function setupOpenApi(app: INestApplication, title = 'Sluice'): void {
  const config = new DocumentBuilder()
    .setTitle(title)
    .setDescription('Sluice REST API: configs, deploys, history, re-apply, pins, events, replay, tokens')
    .setVersion('1')
    .addBearerAuth()
    .build();
  SwaggerModule.setup('api/docs', app, () => SwaggerModule.createDocument(app, config), { jsonDocumentUrl: 'api/docs-json' });
}
