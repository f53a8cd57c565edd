import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PHASES, type Phase, type StatusFields } from '../model';
import {
  bitbucketKey,
  bitbucketStatusMapping,
  differences,
  githubCheckRunMapping,
  githubCommitStatusMapping,
  gitlabStatusMapping,
  payloadMatches,
  type StatusMapping,
} from './index';

const target = { fullName: 'acme/billing', sha: 'a'.repeat(40) };
const fields = (phase: Phase): StatusFields => ({ name: 'sluice/billing', description: 'Deploy', phase, url: 'https://sluice.example/api/deploys/1' });

// Every phase × provider: the table in libs/commit-status/README.md.
const table: Record<string, Record<Phase, Record<string, unknown>>> = {
  'GitHub check run': {
    queued: { status: 'queued', conclusion: null },
    in_progress: { status: 'in_progress', conclusion: null },
    success: { status: 'completed', conclusion: 'success' },
    failure: { status: 'completed', conclusion: 'failure' },
    canceled: { status: 'completed', conclusion: 'cancelled' },
  },
  'GitHub commit status': {
    queued: { state: 'pending' },
    in_progress: { state: 'pending' },
    success: { state: 'success' },
    failure: { state: 'failure' },
    canceled: { state: 'error' },
  },
  'GitLab commit status': {
    queued: { state: 'pending' },
    in_progress: { state: 'running' },
    success: { state: 'success' },
    failure: { state: 'failed' },
    canceled: { state: 'canceled' },
  },
  'Bitbucket build status': {
    queued: { state: 'INPROGRESS' },
    in_progress: { state: 'INPROGRESS' },
    success: { state: 'SUCCESSFUL' },
    failure: { state: 'FAILED' },
    canceled: { state: 'STOPPED' },
  },
};

const mappings: StatusMapping<never>[] = [
  githubCheckRunMapping as StatusMapping<never>,
  githubCommitStatusMapping as StatusMapping<never>,
  gitlabStatusMapping as StatusMapping<never>,
  bitbucketStatusMapping as StatusMapping<never>,
];

// Phases that a provider cannot tell apart read back as the phase it can name.
const readBack: Record<string, Partial<Record<Phase, Phase>>> = {
  'GitHub commit status': { queued: 'in_progress' },
  'Bitbucket build status': { queued: 'in_progress' },
};

for (const mapping of mappings) {
  for (const phase of PHASES) {
    test(`${mapping.label}: phase ${phase} maps to ${JSON.stringify(table[mapping.label][phase])} and reads back`, () => {
      const payload = mapping.toPayload(fields(phase), target) as Record<string, unknown>;
      for (const [key, value] of Object.entries(table[mapping.label][phase])) assert.deepEqual(payload[key], value, key);
      const back = mapping.fromPayload(payload as never);
      assert.equal(back.phase, readBack[mapping.label]?.[phase] ?? phase);
      assert.equal(back.name, 'sluice/billing');
      assert.equal(back.url, 'https://sluice.example/api/deploys/1');
      assert.equal(payloadMatches(mapping as StatusMapping<unknown>, fields(phase), target, payload), true);
    });
  }
}

test('GitHub check run: name and output.title carry the name, output.summary the description, details_url the url', () => {
  const p = githubCheckRunMapping.toPayload(fields('success'), target);
  assert.deepEqual(p, {
    name: 'sluice/billing',
    status: 'completed',
    conclusion: 'success',
    details_url: 'https://sluice.example/api/deploys/1',
    output: { title: 'sluice/billing', summary: 'Deploy' },
  });
});

test('GitHub check run: conclusions written by others read back as the nearest phase', () => {
  const read = (conclusion: string) => githubCheckRunMapping.fromPayload({ name: 'x', status: 'completed', conclusion, details_url: null }).phase;
  assert.equal(read('neutral'), 'success');
  assert.equal(read('skipped'), 'success');
  assert.equal(read('timed_out'), 'failure');
  assert.equal(read('action_required'), 'failure');
  assert.equal(read('stale'), 'canceled');
  assert.equal(githubCheckRunMapping.fromPayload({ name: 'x', status: 'waiting', conclusion: null, details_url: null }).phase, 'queued');
});

test('GitHub commit status: context carries the name; canceled is error with a "Canceled" description; 140-character limit', () => {
  const p = githubCommitStatusMapping.toPayload({ ...fields('canceled'), description: 'Superseded by a newer deploy' }, target);
  assert.deepEqual(p, { state: 'error', context: 'sluice/billing', description: 'Canceled: Superseded by a newer deploy', target_url: 'https://sluice.example/api/deploys/1' });
  assert.equal(githubCommitStatusMapping.fromPayload({ ...p, state: 'error', description: 'boom' }).phase, 'failure');
  const long = githubCommitStatusMapping.toPayload({ ...fields('failure'), description: 'x'.repeat(500) }, target);
  assert.equal(long.description.length, 140);
  assert.equal(payloadMatches(githubCommitStatusMapping, { ...fields('failure'), description: 'x'.repeat(500) }, target, long), true);
});

test('GitLab: name and description and target_url; states GitLab adds read back sensibly', () => {
  assert.deepEqual(gitlabStatusMapping.toPayload(fields('in_progress'), target), {
    state: 'running',
    name: 'sluice/billing',
    description: 'Deploy',
    target_url: 'https://sluice.example/api/deploys/1',
  });
  const phase = (state: string) => gitlabStatusMapping.fromPayload({ state, name: 'x', description: '', target_url: null }).phase;
  assert.equal(phase('created'), 'queued');
  assert.equal(phase('manual'), 'queued');
  assert.equal(phase('skipped'), 'canceled');
});

test('Bitbucket: key from the name (hashed when longer than 40), url falls back to the commit page', () => {
  const p = bitbucketStatusMapping.toPayload({ ...fields('success'), url: null }, target);
  assert.equal(p.key, 'sluice/billing');
  assert.equal(p.url, `https://bitbucket.org/acme/billing/commits/${target.sha}`);
  const long = bitbucketKey('x'.repeat(80));
  assert.equal(long.length, 40);
  assert.equal(bitbucketKey('x'.repeat(80)), long);
  assert.notEqual(bitbucketKey('x'.repeat(79) + 'y'), long);
});

test('differences name the provider field, the wanted and the held value', () => {
  const held = githubCheckRunMapping.toPayload(fields('failure'), target);
  assert.deepEqual(differences(githubCheckRunMapping, fields('success'), target, held), ['conclusion: want "success", SCM has "failure"']);
  assert.deepEqual(differences(gitlabStatusMapping, fields('success'), target, { state: 'success', name: 'sluice/billing', description: 'Deploy', target_url: 'https://sluice.example/api/deploys/1' }), []);
});
