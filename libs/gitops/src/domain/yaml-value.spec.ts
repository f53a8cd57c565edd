import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deployIdOf, gitOpsCommitMessage } from './deploy-trailer';
import { setYamlValue, YamlKeyError } from './yaml-value';

const VALUES = `# Billing API — values for Argo CD
replicaCount: 2   # two is enough

image:
  repository: ghcr.io/acme/billing
  # the tag Sluice writes
  tag: main-1111111
  pullPolicy: IfNotPresent

resources: {}
`;

describe('setYamlValue', () => {
  it('changes the one value and keeps every comment, blank line and key order', () => {
    const { text, changed } = setYamlValue(VALUES, 'image.tag', 'main-2222222');
    assert.equal(changed, true);
    assert.equal(text, VALUES.replace('tag: main-1111111', 'tag: main-2222222'));
  });

  it('changes nothing when the value is there already (a redelivered deploy)', () => {
    assert.deepEqual(setYamlValue(VALUES, 'image.tag', 'main-1111111'), { text: VALUES, changed: false });
  });

  it('creates a missing key and the mappings on its way', () => {
    const { text } = setYamlValue('replicaCount: 1\n', 'image.tag', 'v1-abc1234');
    assert.equal(text, 'replicaCount: 1\nimage:\n  tag: v1-abc1234\n');
  });

  it('refuses to overwrite a mapping or to go through a value, and a file that is not YAML', () => {
    assert.throws(() => setYamlValue(VALUES, 'image', 'x'), (e: unknown) => e instanceof YamlKeyError && /holds a mapping/.test(e.message));
    assert.throws(() => setYamlValue(VALUES, 'replicaCount.tag', 'x'), /replicaCount is not a mapping/);
    assert.throws(() => setYamlValue('a: [1, 2\n', 'a', 'x'), /not valid YAML/);
    assert.throws(() => setYamlValue(VALUES, 'image..tag', 'x'), /dot-separated mapping keys/);
  });
});

describe('the deploy trailer', () => {
  it('names the deploy in the message, and only Sluice commits carry it', () => {
    const id = '01a23f4c-17d5-779f-85f4-720e1229d4f5';
    const message = gitOpsCommitMessage({ config: 'billing-api', key: 'image.tag', value: 'main-2222222', deployId: id, requestedBy: 'slack:T1/U1' });
    assert.match(message, /^deploy billing-api: image\.tag = main-2222222\n/);
    assert.equal(deployIdOf(message), id);
    assert.equal(deployIdOf('bump the tag by hand\n\nSigned-off-by: Ada <ada@example.com>\n'), null);
  });
});
