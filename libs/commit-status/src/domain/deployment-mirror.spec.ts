import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deploymentStateOf } from './deployment-mirror';

test('every phase maps to a GitHub deployment status state; canceled retires the deployment', () => {
  assert.deepEqual(
    (['queued', 'in_progress', 'success', 'failure', 'canceled'] as const).map(deploymentStateOf),
    ['queued', 'in_progress', 'success', 'failure', 'inactive'],
  );
});
