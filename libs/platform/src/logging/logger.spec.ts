import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from './logger';
import { NestLogger } from './nest-logger';
import { currentCorrelation, runWithCorrelation } from './correlation';
import { scrubSecrets } from './redact';

/** A pino destination that keeps each line; pino writes synchronously to a plain `write`. */
function capture(): { stream: Writable; lines: () => Record<string, unknown>[]; raw: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  const raw = () => chunks.join('');
  return { stream, raw, lines: () => raw().split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('createLogger', () => {
  it('writes JSON lines with the logger name, level label and ISO time', () => {
    const out = capture();
    createLogger('repo-sync', { destination: out.stream, level: 'info' }).info({ eventId: 'e-1' }, 'synced');
    const [line] = out.lines();
    assert.equal(line.name, 'repo-sync');
    assert.equal(line.level, 'info');
    assert.equal(line.msg, 'synced');
    assert.equal(line.eventId, 'e-1');
    assert.match(String(line.time), /^\d{4}-\d\d-\d\dT/);
  });

  it('redacts authorization and webhook signature headers, tokens and private keys', () => {
    const out = capture();
    const log = createLogger('t', { destination: out.stream, level: 'info' });
    log.info({
      req: { headers: { authorization: 'Bearer s3cr3t-admin-token', 'x-hub-signature-256': 'sha256=abcdef', 'user-agent': 'GitHub-Hookshot/1' } },
      token: 'plain-token-value',
      config: { GITHUB_TOKEN: 'ghp_configtoken', privateKey: 'pem-material' },
      // Deeper than one level: strings, numbers, arrays and flat objects under a secret key.
      app: { settings: { GITHUB_WEBHOOK_SECRET: ['rotating-1', 'rotating-2'], Password: 'p"w\\deep', pin: 1, apiKey: 4242, clientSecret: { value: 'flat-object-secret' } } },
    }, 'request');
    const raw = out.raw();
    for (const secret of ['s3cr3t-admin-token', 'sha256=abcdef', 'plain-token-value', 'ghp_configtoken', 'pem-material', 'rotating-1', 'rotating-2', 'deep', '4242', 'flat-object-secret']) {
      assert.ok(!raw.includes(secret), `${secret} leaked: ${raw}`);
    }
    const [line] = out.lines();
    const req = line.req as { headers: Record<string, string> };
    assert.equal(req.headers.authorization, '[redacted]');
    assert.equal(req.headers['x-hub-signature-256'], '[redacted]');
    assert.equal(req.headers['user-agent'], 'GitHub-Hookshot/1');
    const settings = (line.app as { settings: Record<string, unknown> }).settings;
    assert.deepEqual(settings, { GITHUB_WEBHOOK_SECRET: '[redacted]', Password: '[redacted]', pin: 1, apiKey: '[redacted]', clientSecret: '[redacted]' });
  });

  it('scrubs passwords in URLs, in fields, messages and error messages alike', () => {
    const out = capture();
    const log = createLogger('t', { destination: out.stream, level: 'info' });
    log.info({ databaseUrl: 'postgres://sluice:hunter2@db:5432/sluice' }, 'connecting');
    log.error({ err: new Error('connect ECONNREFUSED postgresql://admin:pa55word@10.0.0.1/x') }, 'failed');
    log.warn('retrying https://x-access-token:ghs_abcdefghijklmnopqrstuvwxyz012345@github.com/acme/app.git');
    const raw = out.raw();
    assert.ok(!raw.includes('hunter2') && !raw.includes('pa55word') && !raw.includes('ghs_abcdefghijklmnopqrstuvwxyz012345'), raw);
    const lines = out.lines();
    assert.equal(lines[0].databaseUrl, 'postgres://sluice:[redacted]@db:5432/sluice');
    assert.match(String((lines[1].err as { message: string }).message), /postgresql:\/\/admin:\[redacted\]@10\.0\.0\.1/);
    assert.match(String((lines[1].err as { stack: string }).stack), /\[redacted\]/);
  });

  it('adds the correlation fields of the current context to every line', async () => {
    const out = capture();
    const log = createLogger('t', { destination: out.stream, level: 'info' });
    log.info('outside');
    await runWithCorrelation({ correlationId: 'c-1', deliveryId: 'd-1' }, async () => {
      await new Promise((r) => setImmediate(r));
      log.info('in delivery');
      await runWithCorrelation({ correlationId: 'c-1', eventId: 'e-9', stream: 'deployconfig-billing-api', type: 'DeployRequested' }, async () => {
        log.info('in event');
      });
    });
    const [outside, inDelivery, inEvent] = out.lines();
    assert.equal(outside.correlationId, undefined);
    assert.equal(inDelivery.correlationId, 'c-1');
    assert.equal(inDelivery.deliveryId, 'd-1');
    assert.equal(inDelivery.eventId, undefined);
    assert.deepEqual(
      { c: inEvent.correlationId, d: inEvent.deliveryId, e: inEvent.eventId, s: inEvent.stream, t: inEvent.type },
      { c: 'c-1', d: 'd-1', e: 'e-9', s: 'deployconfig-billing-api', t: 'DeployRequested' },
    );
    assert.equal(currentCorrelation(), undefined);
  });

  it('lets explicitly logged fields win over the context', () => {
    const out = capture();
    const log = createLogger('t', { destination: out.stream, level: 'info' });
    runWithCorrelation({ correlationId: 'c-1', eventId: 'outer' }, () => log.info({ eventId: 'explicit' }, 'x'));
    assert.equal(out.lines()[0].eventId, 'explicit');
  });
});

describe('scrubSecrets', () => {
  it('removes PEM private keys, bearer tokens and token query parameters', () => {
    const text = 'key -----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY----- auth Bearer abcdefgh12345 url /x?access_token=zzz&a=1';
    const scrubbed = scrubSecrets(text);
    assert.ok(!scrubbed.includes('MIIE'));
    assert.ok(!scrubbed.includes('abcdefgh12345'));
    assert.ok(!scrubbed.includes('zzz'));
    assert.match(scrubbed, /a=1$/);
  });

  it("censors the secret of Sluice's own team tokens and keeps their id, wherever they appear", () => {
    const secret = 'Zq3_x-9AbCdEfGhIjKlMnOpQrStUvWxYz0123456789';
    const token = `sl_0123456789abcdef_${secret}`;
    const texts = [
      `{"msg":"presented ${token}","n":1}`,
      `token=${token} and more`,
      `cut short: sl_0123456789abcdef_${secret.slice(0, 10)}`,
    ];
    for (const text of texts) {
      const scrubbed = scrubSecrets(text);
      assert.ok(!scrubbed.includes(secret.slice(0, 10)), scrubbed);
      assert.ok(scrubbed.includes('sl_0123456789abcdef_[redacted]'), scrubbed);
    }
    // A line through the logger, where the token is neither under a secret key nor after "Bearer".
    const out = capture();
    createLogger('t', { destination: out.stream, level: 'info' }).info({ presented: token }, `rejected ${token}`);
    const line = JSON.stringify(out.lines()[0]);
    assert.ok(!line.includes(secret), line);
    assert.equal(out.lines()[0].presented, 'sl_0123456789abcdef_[redacted]');
    // Look-alikes that are not team tokens are left alone.
    assert.equal(scrubSecrets('isl_0123456789abcdef_x sl_0123_x'), 'isl_0123456789abcdef_x sl_0123_x');
  });
});

describe('NestLogger', () => {
  it("writes Nest's lines with their context, and an error's stack whether or not a context follows it", () => {
    const out = capture();
    const nest = new NestLogger(createLogger('nest', { destination: out.stream, level: 'info' }));
    const stack = 'Error: boom\n    at Object.<anonymous> (x.js:1:1)';
    nest.log('Mapped {/healthz, GET} route', 'RouterExplorer');
    nest.error('boom', stack, 'ExceptionsHandler');
    nest.error('boom', stack);
    nest.error(new Error('thrown'));
    nest.debug('not at info');
    const [mapped, withContext, withoutContext, thrown, ...rest] = out.lines();
    assert.deepEqual([mapped.msg, mapped.context, mapped.level, mapped.name], ['Mapped {/healthz, GET} route', 'RouterExplorer', 'info', 'nest']);
    assert.deepEqual([withContext.context, withContext.stack], ['ExceptionsHandler', stack]);
    assert.deepEqual([withoutContext.context, withoutContext.stack], [undefined, stack]);
    assert.equal((thrown.err as { message: string }).message, 'thrown');
    assert.equal(rest.length, 0);
  });
});
