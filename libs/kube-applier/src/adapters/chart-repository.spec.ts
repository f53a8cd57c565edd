import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChartRepositories } from './chart-repository';
import { RenderError } from '../domain/errors';

const LIMITS = { timeoutMs: 5_000, maxBytes: 1024 * 1024 };

describe('ChartRepositories: the allow-list (KUBE_APPLIER_HELM_REPOS)', () => {
  it('a host allows any port, host:port that port only (the scheme default when the URL has none); nothing else', () => {
    const repos = new ChartRepositories(['charts.example.com', 'local.example:8443', '127.0.0.1:8879'], LIMITS);
    const allows = (url: string) => repos.allows(new URL(url));
    assert.equal(allows('https://charts.example.com/stable'), true);
    assert.equal(allows('http://CHARTS.example.com:8080/x'), true);
    assert.equal(allows('https://local.example:8443/'), true);
    assert.equal(allows('https://local.example/'), false);
    assert.equal(allows('http://127.0.0.1:8879/charts'), true);
    assert.equal(allows('http://127.0.0.1:8880/charts'), false);
    assert.equal(allows('https://evil.charts.example.com/'), false);
    assert.equal(allows('https://charts.example.com.evil.test/'), false);
    assert.equal(allows('ftp://charts.example.com/'), false);
    assert.equal(new ChartRepositories(['charts.example.com:443'], LIMITS).allows(new URL('https://charts.example.com/')), true);
  });
});

describe('ChartRepositories: fetching from a repository on loopback', () => {
  let server: Server;
  let host: string;
  const archive = Buffer.from('not really a tgz');
  const index = (url: string, digest: string) => `apiVersion: v1\nentries:\n  web:\n    - version: 1.0.0\n      urls: ["${url}"]\n      digest: "${digest}"\n`;

  before(async () => {
    server = createServer((req, res) => {
      switch (req.url) {
        case '/good/index.yaml':
          return res.end(index('web-1.0.0.tgz', '62a2b3ac6ef8a4b4b0b11e0f10e4bdf8d2c2d8d60dc2c0b7e0f4b6f0c9a8e7d1'));
        case '/good/web-1.0.0.tgz':
          return res.end(archive);
        case '/moved/index.yaml':
          return res.writeHead(302, { location: 'http://169.254.169.254/index.yaml' }).end();
        default:
          return res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((r) => server.close(r)));

  const failure = async (promise: Promise<unknown>) => {
    const error = await promise.then(() => assert.fail('expected a failure'), (e: unknown) => e);
    assert.ok(error instanceof RenderError);
    return error;
  };

  it('checks the digest the index gives', async () => {
    const error = await failure(new ChartRepositories([host], LIMITS).fetchChart(`http://${host}/good`, 'web', '1.0.0'));
    assert.equal(error.reason, 'ChartUnavailable');
    assert.match(error.message, /web-1\.0\.0\.tgz: digest [0-9a-f]{64} is not the index's 62a2b3/);
  });

  it('follows a redirect only to an allowed host', async () => {
    const error = await failure(new ChartRepositories([host], LIMITS).fetchChart(`http://${host}/moved`, 'web', '1.0.0'));
    assert.equal(error.message, `http://${host}/moved/index.yaml redirects to http://169.254.169.254/index.yaml: host 169.254.169.254 is not an allowed chart repository (KUBE_APPLIER_HELM_REPOS: ${host})`);
  });

  it('a repository that is not there, or answers an error, is ChartUnavailable', async () => {
    assert.match((await failure(new ChartRepositories([host], LIMITS).fetchChart(`http://${host}/none`, 'web', '1.0.0'))).message, /index\.yaml: HTTP 404$/);
  });
});
