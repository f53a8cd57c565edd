import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Body, CanActivate, Controller, Delete, Get, INestApplication, NotFoundException, Post, Query, UseGuards } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { z } from 'zod';
import { configureApp } from '../bootstrap';
import { createLogger } from '../logging/logger';
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  SluiceError,
  TooManyRequestsError,
  UnauthorizedError,
  UnprocessableError,
} from './errors';
import { HttpErrorFilter } from './error.filter';
import { ZodValidationPipe } from './validation';

const thrown: Record<string, () => SluiceError> = {
  'bad-request': () => new BadRequestError('limit must be a number', { details: { field: 'query.limit' } }),
  unauthorized: () => new UnauthorizedError(),
  forbidden: () => new ForbiddenError('config billing-api belongs to team payments'),
  'not-found': () => new NotFoundError('no config named billing-api'),
  conflict: () => new ConflictError('stream moved on', { code: 'concurrency' }),
  'too-large': () => new PayloadTooLargeError(),
  unprocessable: () => new UnprocessableError('artifactSha is not a build of this repo', { details: { field: 'body.artifactSha' } }),
  'too-many': () => new TooManyRequestsError('too many failed authentications', { retryAfterSeconds: 29.2 }),
  unavailable: () => new ServiceUnavailableError('too many uploads in flight', { code: 'busy', retryAfterSeconds: 5 }),
};

const createDeploy = z.object({ config: z.string().min(1), artifactSha: z.string().regex(/^[0-9a-f]{40}$/) });
const repoQuery = z.strictObject({
  repo: z.union([z.string().regex(/^\w+\/\w+$/, 'an owner/name repository'), z.string().regex(/^\d+$/, 'a numeric repository id')]),
});

class AlwaysUnauthenticated implements CanActivate {
  canActivate(): boolean {
    throw new UnauthorizedError();
  }
}

@Controller('guarded')
@UseGuards(AlwaysUnauthenticated)
class GuardedController {
  @Post()
  create(@Body() body: unknown): unknown {
    return body;
  }
}

@Controller('t')
class ThrowingController {
  @Get('sluice')
  sluice(@Query('kind') kind: string): never {
    throw thrown[kind]();
  }

  @Get('nest-not-found')
  nestNotFound(): never {
    throw new NotFoundException('nothing here');
  }

  @Get('boom')
  boom(): never {
    const err = new Error('db password is hunter2');
    err.stack = 'Error: db password is hunter2\n    at secretPlace (/srv/app/internal.ts:42:7)';
    throw err;
  }

  @Get('repos')
  repos(@Query(new ZodValidationPipe(repoQuery)) query: z.output<typeof repoQuery>): z.output<typeof repoQuery> {
    return query;
  }

  @Delete('deploys/:id')
  abandon(): void {}

  @Post('deploys')
  deploy(@Body(new ZodValidationPipe(createDeploy)) body: z.output<typeof createDeploy>): { ok: true; config: string } {
    return { ok: true, config: body.config };
  }
}

describe('HttpErrorFilter', () => {
  let app: INestApplication;
  const logged: string[] = [];

  before(async () => {
    const moduleRef = await Test.createTestingModule({ controllers: [ThrowingController, GuardedController] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    configureApp(app, { bodyLimit: '1kb' });
    const sink = new Writable({ write: (chunk, _e, cb) => { logged.push(String(chunk)); cb(); } });
    app.useGlobalFilters(new HttpErrorFilter(createLogger('http', { destination: sink, level: 'debug' })));
    await app.init();
  });

  after(async () => {
    await app.close();
  });

  const expected: Array<[string, number, string]> = [
    ['bad-request', 400, 'bad_request'],
    ['unauthorized', 401, 'unauthorized'],
    ['forbidden', 403, 'forbidden'],
    ['not-found', 404, 'not_found'],
    ['conflict', 409, 'concurrency'],
    ['too-large', 413, 'payload_too_large'],
    ['unprocessable', 422, 'unprocessable'],
    ['too-many', 429, 'too_many_requests'],
    ['unavailable', 503, 'busy'],
  ];
  for (const [kind, status, code] of expected) {
    it(`maps ${thrown[kind]().constructor.name} to ${status} { error: { code: ${code} } }`, async () => {
      const res = await request(app.getHttpServer()).get(`/t/sluice?kind=${kind}`).expect(status).expect('content-type', /application\/json/);
      const error = thrown[kind]();
      const body = { error: error.details ? { code, message: error.message, details: error.details } : { code, message: error.message } };
      assert.deepEqual(res.body, body);
    });
  }

  it('asks for a bearer token on 401', async () => {
    await request(app.getHttpServer()).get('/t/sluice?kind=unauthorized').expect(401).expect('www-authenticate', 'Bearer');
  });

  it('sends Retry-After (whole seconds) with a 429 or 503 that says when to come back, and does not log it as a failure', async () => {
    const before = logged.length;
    await request(app.getHttpServer()).get('/t/sluice?kind=too-many').expect(429).expect('retry-after', '30');
    await request(app.getHttpServer()).get('/t/sluice?kind=unavailable').expect(503).expect('retry-after', '5');
    const lines = logged.slice(before).map((l) => JSON.parse(l) as { level: number | string; msg: string });
    assert.ok(lines.every((l) => l.msg !== 'request failed'), JSON.stringify(lines));
    const plain = await request(app.getHttpServer()).get('/t/sluice?kind=forbidden').expect(403);
    assert.equal(plain.headers['retry-after'], undefined);
  });

  it("maps Nest's own HttpExceptions, including unknown routes", async () => {
    const thrownNotFound = await request(app.getHttpServer()).get('/t/nest-not-found').expect(404);
    assert.deepEqual(thrownNotFound.body, { error: { code: 'not_found', message: 'nothing here' } });
    const noRoute = await request(app.getHttpServer()).get('/no/such/route').expect(404);
    assert.equal(noRoute.body.error.code, 'not_found');
  });

  it('answers a path no route has with the one 404 body, not Nest\'s "Cannot GET"', async () => {
    const res = await request(app.getHttpServer()).get('/no/such/route?x=1').expect(404).expect('content-type', /application\/json/);
    assert.deepEqual(res.body, { error: { code: 'not_found', message: 'no route for GET /no/such/route' } });
    const post = await request(app.getHttpServer()).post('/t/deploys/x/y').send({}).expect(404);
    assert.deepEqual(post.body, { error: { code: 'not_found', message: 'no route for POST /t/deploys/x/y' } });
  });

  it('answers a method the path does not support with 405 and Allow listing the methods it does', async () => {
    const del = await request(app.getHttpServer()).delete('/t/deploys').expect(405).expect('allow', 'POST');
    assert.deepEqual(del.body, { error: { code: 'method_not_allowed', message: 'DELETE is not allowed on /t/deploys; allowed: POST', details: { allow: ['POST'] } } });
    const post = await request(app.getHttpServer()).post('/t/sluice?kind=forbidden').send({}).expect(405).expect('allow', 'GET, HEAD');
    assert.equal(post.body.error.code, 'method_not_allowed');
    // A parameterised path: the route's own pattern decides, not a copy of it.
    await request(app.getHttpServer()).get('/t/deploys/0190').expect(405).expect('allow', 'DELETE');
    await request(app.getHttpServer()).delete('/t/deploys/0190').expect(200);
  });

  it('answers a body that is not JSON with 415 saying to send content-type: application/json', async () => {
    const json = JSON.stringify({ config: 'billing-api', artifactSha: 'a'.repeat(40) });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const res = await request(app.getHttpServer()).post('/t/deploys').set('content-type', type).send(json).expect(415);
      assert.equal(res.body.error.code, 'unsupported_media_type');
      assert.match(res.body.error.message, /content-type: application\/json/);
      assert.match(res.body.error.message, new RegExp(`got content-type: ${type}`));
    }
    await request(app.getHttpServer()).post('/t/deploys').set('content-type', 'application/json; charset=utf-8').send(json).expect(201);
    // No body at all: the schema answers that one is required.
    const empty = await request(app.getHttpServer()).post('/t/deploys').expect(400);
    assert.equal(empty.body.error.message, 'body: required');
  });

  it('authenticates before it looks at the body type: 401, not 415, on a guarded route', async () => {
    await request(app.getHttpServer()).post('/guarded').set('content-type', 'text/plain').send('{}').expect(401);
    await request(app.getHttpServer()).put('/guarded').set('content-type', 'text/plain').send('{}').expect(405).expect('allow', 'POST');
  });

  it('answers invalid JSON with 400 and an oversized body with 413', async () => {
    const invalid = await request(app.getHttpServer()).post('/t/deploys').set('content-type', 'application/json').send('{"config": ').expect(400);
    assert.equal(invalid.body.error.code, 'bad_request');
    const big = await request(app.getHttpServer()).post('/t/deploys').send({ config: 'x'.repeat(5000), artifactSha: 'a'.repeat(40) }).expect(413);
    assert.deepEqual(big.body.error.code, 'payload_too_large');
  });

  it('answers anything unknown with a generic 500, logging the stack but never sending it', async () => {
    const res = await request(app.getHttpServer()).get('/t/boom').expect(500);
    assert.deepEqual(res.body, { error: { code: 'internal', message: 'internal error' } });
    assert.ok(!res.text.includes('hunter2') && !res.text.includes('secretPlace'));
    const line = logged.map((l) => JSON.parse(l) as { msg: string; err?: { stack?: string } }).find((l) => l.msg === 'request failed');
    assert.ok(line?.err?.stack?.includes('secretPlace'), 'the stack is logged');
  });

  it('rejects input failing a zod schema with 400 naming each field path', async () => {
    const res = await request(app.getHttpServer()).post('/t/deploys').send({ artifactSha: 'not-a-sha' }).expect(400);
    assert.equal(res.body.error.code, 'validation_failed');
    assert.match(res.body.error.message, /body\.config: required/);
    assert.match(res.body.error.message, /body\.artifactSha: /);
    assert.equal(res.body.error.details.field, 'body.config');
    const ok = await request(app.getHttpServer()).post('/t/deploys').send({ config: 'billing-api', artifactSha: 'a'.repeat(40) }).expect(201);
    assert.deepEqual(ok.body, { ok: true, config: 'billing-api' });
  });

  it('says what a union expects and names an unknown field, instead of "Invalid input" and "Unrecognized key"', async () => {
    const bad = await request(app.getHttpServer()).get('/t/repos?repo=a%20b').expect(400);
    assert.equal(bad.body.error.message, 'query.repo: an owner/name repository, or a numeric repository id');
    const unknown = await request(app.getHttpServer()).get('/t/repos?repo=acme/billing&colour=red').expect(400);
    assert.equal(unknown.body.error.message, 'query.colour: unknown field');
  });
});
