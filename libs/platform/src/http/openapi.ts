import type { INestApplication } from '@nestjs/common';
import { ApiBody, DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { z } from 'zod';

/** Title and description of one service's OpenAPI document. */
export interface OpenApiInfo {
  readonly title: string;
  readonly description?: string;
}

type ApiSchema = NonNullable<Extract<Parameters<typeof ApiBody>[0], { schema?: unknown }>['schema']>;

/** A zod schema as an OpenAPI schema for @nestjs/swagger. */
export function openApiSchema(schema: z.ZodType): ApiSchema {
  const json = z.toJSONSchema(schema, { io: 'input', target: 'openapi-3.0' }) as Record<string, unknown>;
  delete json.$schema;
  return nullInEnums(json) as ApiSchema;
}

/** OpenAPI 3.0: a nullable enum must list null among its values, or validators reject null. */
function nullInEnums(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(nullInEnums);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = nullInEnums(value);
  if (out.nullable === true && Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  return out;
}

/** The error body every service answers with (`HttpErrorFilter`). */
export const errorResponseSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
});

/** `schema` of an `@ApiResponse` for an error status. */
export const errorResponse = openApiSchema(errorResponseSchema);

function baseDocument(info: OpenApiInfo): Omit<OpenAPIObject, 'paths'> {
  return new DocumentBuilder()
    .setTitle(info.title)
    .setDescription(info.description ?? '')
    .setVersion('1')
    .addBearerAuth()
    .build();
}

/** The OpenAPI document of the routes of one Nest app, with bearer auth declared. */
export function buildOpenApiDocument(app: INestApplication, info: OpenApiInfo): OpenAPIObject {
  return SwaggerModule.createDocument(app, baseDocument(info));
}

/**
 * Serves the OpenAPI document at `/api/docs-json` (docs/architecture.md §7) and Swagger UI at
 * `/api/docs`: the app's own document, or the one `document` returns (built on first
 * request). Call before `app.init()`/`listen()`: routes added later sit behind Nest's 404 handler.
 */
export function setupOpenApi(app: INestApplication, source: OpenApiInfo | (() => OpenAPIObject)): void {
  const document = typeof source === 'function' ? source : () => buildOpenApiDocument(app, source);
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
}

/** Two parts of one merged document declare the same thing. */
export class OpenApiConflictError extends Error {}

export interface MergeOpenApiOptions {
  /** Paths every part declares alike (e.g. `/healthz`): kept once, from the first part, never a conflict. */
  readonly shared?: (path: string) => boolean;
}

/**
 * One document of several apps' documents (the all-in-one): their paths, components.schemas
 * and tags. Throws `OpenApiConflictError` when two parts declare the same path and method, or
 * the same schema name with different content.
 */
export function mergeOpenApiDocuments(
  info: OpenApiInfo,
  parts: readonly { readonly name: string; readonly document: OpenAPIObject }[],
  options: MergeOpenApiOptions = {},
): OpenAPIObject {
  const base = baseDocument(info);
  const paths: OpenAPIObject['paths'] = {};
  const schemas: Record<string, unknown> = {};
  const tags = new Map<string, NonNullable<OpenAPIObject['tags']>[number]>();
  const owners = new Map<string, string>();
  for (const { name, document } of parts) {
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      if (options.shared?.(path) && paths[path]) continue;
      const merged: Record<string, unknown> = { ...(paths[path] ?? {}) };
      for (const [method, operation] of Object.entries(item)) {
        const key = `${method.toUpperCase()} ${path}`;
        if (merged[method] !== undefined) throw new OpenApiConflictError(`OpenAPI: ${key} is declared by both ${owners.get(key)} and ${name}`);
        merged[method] = operation;
        owners.set(key, name);
      }
      paths[path] = merged as OpenAPIObject['paths'][string];
    }
    for (const [schemaName, schema] of Object.entries(document.components?.schemas ?? {})) {
      if (schemaName in schemas && JSON.stringify(schemas[schemaName]) !== JSON.stringify(schema)) {
        throw new OpenApiConflictError(`OpenAPI: schema ${schemaName} differs between ${owners.get(`schema ${schemaName}`)} and ${name}`);
      }
      schemas[schemaName] = schema;
      owners.set(`schema ${schemaName}`, owners.get(`schema ${schemaName}`) ?? name);
    }
    for (const tag of document.tags ?? []) if (!tags.has(tag.name)) tags.set(tag.name, tag);
  }
  return {
    ...base,
    ...(tags.size > 0 ? { tags: [...tags.values()] } : {}),
    paths,
    components: { ...base.components, schemas: schemas as NonNullable<OpenAPIObject['components']>['schemas'] },
  };
}
