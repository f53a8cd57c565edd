import { Module, type Provider, type Type } from '@nestjs/common';
import { GUARDS_METADATA, INTERCEPTORS_METADATA } from '@nestjs/common/constants';
import { NestFactory } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { buildOpenApiDocument, type OpenApiInfo } from '@sluice/platform';

/**
 * The OpenAPI document of some controllers, as `setupOpenApi` serves it, without their
 * infrastructure: the document only reads route metadata, so every constructor dependency
 * of the controllers and of the guards and interceptors they use is an empty placeholder
 * that is never called (no request is served).
 */
export async function openApiDocumentOf(controllers: Type[], info: OpenApiInfo = { title: 'test' }): Promise<OpenAPIObject> {
  const tokens = new Set<unknown>();
  for (const controller of controllers) {
    for (const type of [controller, ...enhancersOf(controller)]) for (const token of dependenciesOf(type)) tokens.add(token);
  }
  const providers: Provider[] = [...tokens].map((token) => ({ provide: token as string, useValue: {} }));
  @Module({ controllers, providers })
  class DocumentOnly {}
  const app = await NestFactory.create(DocumentOnly, { logger: false });
  try {
    return buildOpenApiDocument(app, info);
  } finally {
    await app.close();
  }
}

/** `METHOD path statuses…` of every operation, sorted: what a document declares, in one comparable list. */
export function operationsOf(document: OpenAPIObject): string[] {
  const out: string[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item as Record<string, { responses?: object }>)) {
      out.push(`${method.toUpperCase()} ${path} ${Object.keys(operation.responses ?? {}).sort().join(',')}`);
    }
  }
  return out.sort();
}

function enhancersOf(controller: Type): Type[] {
  const methods = Object.getOwnPropertyNames(controller.prototype).map((name) => controller.prototype[name]);
  return [controller, ...methods]
    .flatMap((target) => [...(Reflect.getMetadata(GUARDS_METADATA, target) ?? []), ...(Reflect.getMetadata(INTERCEPTORS_METADATA, target) ?? [])])
    .filter((enhancer): enhancer is Type => typeof enhancer === 'function');
}

function dependenciesOf(type: Type): unknown[] {
  const tokens: unknown[] = [...(Reflect.getMetadata('design:paramtypes', type) ?? [])];
  for (const { index, param } of (Reflect.getMetadata('self:paramtypes', type) ?? []) as { index: number; param: unknown }[]) tokens[index] = param;
  return tokens;
}
