import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Ajv from 'ajv';
import { DCLinter } from 'dclint';
import { isSecretName, interpolate, parseYaml, PROCESSES, readRepoFile, repoPath, SERVICES, type ServiceName } from './support';
import { knownVariables, loadServiceEnv } from './service-configs';

/*
 * docker-compose.yml cannot be started here (no Docker engine), so it is checked statically:
 * the Compose Specification JSON schema (shipped by dclint, the compose linter), dclint's rules,
 * and what Sluice needs — healthchecks, start order, variable names from the services' own
 * config schemas, a config each service accepts, and no secrets in the file.
 */

interface ComposeService {
  image?: string;
  build?: { context: string; target?: string };
  command?: string[];
  environment?: Record<string, string | number | boolean | null>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[]; interval?: string; start_period?: string };
  volumes?: ({ type: string; source: string; target: string; read_only?: boolean } | string)[];
  ports?: string[];
  read_only?: boolean;
  user?: string;
}
interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const COMPOSE_TEXT = readRepoFile('docker-compose.yml');
const compose = parseYaml<ComposeFile>(COMPOSE_TEXT);

/** The Compose Specification schema dclint ships (draft-07, under a URI ajv knows so that it is meta-validated too). */
function composeSchema(): object {
  const dir = dirname(require.resolve('dclint/package.json'));
  const schema = JSON.parse(readFileSync(join(dir, 'schemas', 'compose.schema.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(schema['title'], 'Compose Specification');
  return { ...schema, $schema: 'http://json-schema.org/draft-07/schema#' };
}
function validator() {
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
  return ajv.compile(composeSchema());
}

const env = (service: string): Record<string, string> =>
  Object.fromEntries(Object.entries(compose.services[service]!.environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]));

/** The service's environment as Compose would pass it with nothing set on the host. */
const resolvedEnv = (service: string): Record<string, string> =>
  Object.fromEntries(Object.entries(env(service)).map(([k, v]) => [k, interpolate(v, {})]));

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification JSON schema (all errors reported)', () => {
    const validate = validator();
    const ok = validate(compose);
    assert.equal(ok, true, JSON.stringify(validate.errors, null, 2));
  });

  it('the schema check bites: a misspelled service key is rejected', () => {
    const validate = validator();
    const broken = structuredClone(compose);
    (broken.services['autodeploy'] as Record<string, unknown>)['healtcheck'] = { test: ['CMD', 'true'] };
    assert.equal(validate(broken), false);
    assert.ok(validate.errors!.some((e) => e.keyword === 'additionalProperties' && e.params['additionalProperty'] === 'healtcheck'));
  });

  it('passes dclint with the repository config (.dclintrc): no errors, no warnings', async () => {
    const config = JSON.parse(readRepoFile('.dclintrc')) as ConstructorParameters<typeof DCLinter>[0];
    const linter = new DCLinter({ ...config, quiet: true, debug: false });
    const [result] = linter.lintFiles([repoPath('docker-compose.yml')], false);
    assert.ok(result, 'dclint linted no file');
    assert.deepEqual(
      result.messages.map((m) => `${m.line}: ${m.rule}: ${m.message}`),
      [],
    );
  });

  it('runs Kafka 3.9 in single-node KRaft mode and PostgreSQL 15, each with a healthcheck', () => {
    const kafka = compose.services['kafka']!;
    assert.match(kafka.image!, /^apache\/kafka:3\.9\.\d+$/);
    const k = env('kafka');
    assert.equal(k['KAFKA_PROCESS_ROLES'], 'broker,controller');
    assert.equal(k['KAFKA_CONTROLLER_QUORUM_VOTERS'], `${k['KAFKA_NODE_ID']}@kafka:9093`);
    assert.ok(!Object.keys(k).some((name) => name.includes('ZOOKEEPER')), 'no ZooKeeper in KRaft mode');
    assert.equal(k['KAFKA_AUTO_CREATE_TOPICS_ENABLE'], 'false', 'services create their topics and .dlq topics');
    assert.ok(kafka.healthcheck?.test.join(' ').includes('kafka-broker-api-versions.sh'));

    const postgres = compose.services['postgres']!;
    assert.match(postgres.image!, /^postgres:15(\.\d+)?(-[a-z]+)?$/);
    assert.ok(postgres.healthcheck?.test.join(' ').includes('pg_isready'));
    assert.ok(postgres.volumes?.some((v) => typeof v === 'string' && v.endsWith(':/var/lib/postgresql/data')), 'data on a volume');
  });

  it('runs the five services and the dashboard server from the one image, each naming itself as the command', () => {
    const sluiceServices = Object.keys(compose.services).filter((s) => s !== 'kafka' && s !== 'postgres').sort();
    assert.deepEqual(sluiceServices, [...PROCESSES].sort());
    const images = new Set(PROCESSES.map((s) => compose.services[s]!.image));
    assert.equal(images.size, 1, 'one image for all of them');
    for (const s of PROCESSES) {
      const service = compose.services[s]!;
      assert.deepEqual(service.command, [s], `${s}: command`);
      assert.deepEqual(service.build, { context: '.', target: 'runtime' }, `${s}: built from the root Dockerfile`);
      assert.equal(service.read_only, true, `${s}: read-only root filesystem`);
    }
  });

  it('gives every container a healthcheck; the services wait for healthy Kafka and PostgreSQL', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      assert.ok(service.healthcheck?.test?.length, `${name}: healthcheck`);
    }
    for (const s of SERVICES) {
      const service = compose.services[s]!;
      assert.deepEqual(service.healthcheck!.test, ['CMD', 'node', '/app/bin/healthcheck.js', '/readyz'], `${s}: healthcheck`);
      assert.deepEqual(
        service.depends_on,
        { kafka: { condition: 'service_healthy' }, postgres: { condition: 'service_healthy' } },
        `${s}: depends_on`,
      );
    }
  });

  it('sets only variables the service reads (names from its config schema)', () => {
    for (const s of SERVICES) {
      const known = knownVariables(s);
      const unknown = Object.keys(env(s)).filter((name) => !known.has(name));
      assert.deepEqual(unknown, [], `${s}: variables no schema of ${s} reads`);
    }
  });

  it('gives each service a configuration it accepts at start with nothing set on the host', () => {
    for (const s of SERVICES) {
      const config = loadServiceEnv(s, resolvedEnv(s));
      assert.equal(config.SLUICE_HOST, '0.0.0.0', `${s}: listens on all interfaces in its container`);
      assert.equal(config.PORT, 8080, `${s}: PORT`);
      assert.deepEqual(config.KAFKA_BROKERS, ['kafka:9092'], `${s}: KAFKA_BROKERS`);
      assert.equal(new URL(config.DATABASE_URL!).host, 'postgres:5432', `${s}: DATABASE_URL`);
      assert.ok(compose.services[s]!.ports?.some((p) => p.endsWith(':8080')), `${s}: container port 8080 published`);
    }
    assert.equal(env('kafka')['KAFKA_ADVERTISED_LISTENERS'], 'PLAINTEXT://kafka:9092', 'brokers advertise what the services dial');
    const webhook = loadServiceEnv('webhook-ingest', resolvedEnv('webhook-ingest'));
    assert.ok(webhook.GITHUB_WEBHOOK_SECRET?.length, 'webhook-ingest has its required secret');
  });

  it('keeps secrets out of the file: they come from the host environment, fallbacks are marked insecure-dev-only', () => {
    const fallback = /^\$\{([A-Z0-9_]+)(?::-(.*))?\}$/;
    for (const [name, service] of Object.entries(compose.services)) {
      for (const [variable, raw] of Object.entries(service.environment ?? {})) {
        const value = raw === null ? '' : String(raw);
        if (isSecretName(variable) && variable !== 'DATABASE_URL') {
          const m = fallback.exec(value);
          assert.ok(m, `${name}.${variable} must be \${${variable}...} from the host, got a literal`);
          assert.equal(m[1], variable, `${name}.${variable} reads the host variable of the same name`);
          const def = m[2] ?? '';
          assert.ok(def === '' || def.startsWith('insecure-dev-only'), `${name}.${variable}: a fallback must be empty or insecure-dev-only-*`);
        }
        if (variable === 'DATABASE_URL') {
          assert.match(value, /^postgres:\/\/sluice:\$\{POSTGRES_PASSWORD:-insecure-dev-only[^}]*\}@postgres:5432\/sluice$/, `${name}: password from POSTGRES_PASSWORD`);
        }
      }
    }
    // The same fallback everywhere, or the services could not log in to PostgreSQL.
    const passwords = new Set(SERVICES.map((s) => /\$\{POSTGRES_PASSWORD:-([^}]*)\}/.exec(env(s)['DATABASE_URL']!)![1]));
    passwords.add(/\$\{POSTGRES_PASSWORD:-([^}]*)\}/.exec(env('postgres')['POSTGRES_PASSWORD']!)![1]);
    assert.equal(passwords.size, 1);
    const admins = new Set(['repo-sync', 'autodeploy', 'commit-status'].map((s) => env(s)['SLUICE_ADMIN_TOKEN']));
    assert.equal(admins.size, 1, 'one admin token across the services that check it');
  });

  it('mounts a kubeconfig, read-only, where KUBECONFIG points, for kube-applier and commit-status', () => {
    const needsCluster: ServiceName[] = ['kube-applier', 'commit-status'];
    for (const s of SERVICES) {
      const e = env(s);
      const mounts = (compose.services[s]!.volumes ?? []).filter((v) => typeof v === 'object');
      if (!needsCluster.includes(s)) {
        assert.equal(e['KUBECONFIG'], undefined, `${s}: no cluster access`);
        continue;
      }
      const mount = mounts.find((v) => typeof v === 'object' && v.target === e['KUBECONFIG']);
      assert.ok(mount && typeof mount === 'object', `${s}: KUBECONFIG ${e['KUBECONFIG']} is mounted`);
      assert.equal(mount.type, 'bind');
      assert.equal(mount.read_only, true);
      assert.match(mount.source, /^\$\{SLUICE_KUBECONFIG:-/);
    }
    assert.equal(env('kube-applier')['KUBE_APPLIER_TARGET'], '${KUBE_APPLIER_TARGET:-kube}');
  });

  it('publishes ports on the loopback interface only', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const port of service.ports ?? []) assert.match(port, /^127\.0\.0\.1:\d+:\d+$/, `${name}: ${port}`);
    }
  });
});

describe('interpolate (Compose variable syntax)', () => {
  it('applies defaults, keeps set values, unescapes $$ and fails on required variables', () => {
    assert.equal(interpolate('${A:-x}', {}), 'x');
    assert.equal(interpolate('${A:-x}', { A: '' }), 'x');
    assert.equal(interpolate('${A-x}', { A: '' }), '');
    assert.equal(interpolate('${A:-x}', { A: 'y' }), 'y');
    assert.equal(interpolate('a$${B}c', {}), 'a${B}c');
    assert.equal(interpolate('p://u:${P:-d}@h', {}), 'p://u:d@h');
    assert.throws(() => interpolate('${A:?set A}', {}), /A: set A/);
  });
});
