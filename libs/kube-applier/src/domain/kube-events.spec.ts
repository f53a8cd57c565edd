import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kubeEventLines, type KubeEvent } from './kube-events';

const inventory = [
  { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'payments', name: 'billing' },
  { apiVersion: 'v1', kind: 'Service', namespace: 'payments', name: 'billing' },
];
const event = (uid: string, kind: string, name: string, at: string, extra: Partial<KubeEvent> = {}): KubeEvent => ({
  metadata: { uid },
  involvedObject: { kind, name },
  reason: 'BackOff',
  message: 'Back-off pulling image "ghcr.io/acme/billing:main-abc1234"\n',
  type: 'Warning',
  count: 1,
  lastTimestamp: at,
  ...extra,
});

describe('kubeEventLines: the Kubernetes Events of a deploy, as lines of its log', () => {
  it('keeps the Events of its objects and of the Pods and ReplicaSets its workloads made, since it was applied, oldest first', () => {
    const lines = kubeEventLines(
      [
        event('2', 'Pod', 'billing-5d8c7b9f4-x2x7q', '2026-12-04T10:00:05Z', { count: 3 }),
        event('1', 'ReplicaSet', 'billing-5d8c7b9f4', '2026-12-04T10:00:02Z', { type: 'Normal', reason: 'SuccessfulCreate', message: 'Created pod: billing-5d8c7b9f4-x2x7q' }),
        event('3', 'Service', 'billing', '2026-12-04T10:00:03Z', { reason: 'Sync', message: 'synced', type: 'Normal' }),
        event('4', 'Pod', 'billing-old-7f', '2026-12-04T09:00:00Z'),
        event('5', 'Pod', 'billingual-6c-x', '2026-12-04T10:00:04Z'),
        event('6', 'Pod', 'other-6c-x', '2026-12-04T10:00:04Z'),
        event('7', 'Service', 'billing-db', '2026-12-04T10:00:04Z'),
      ],
      inventory,
      '2026-12-04T10:00:00Z',
    );
    assert.deepEqual(lines, [
      { uid: '1', count: 1, at: '2026-12-04T10:00:02.000Z', text: 'Normal SuccessfulCreate ReplicaSet/billing-5d8c7b9f4: Created pod: billing-5d8c7b9f4-x2x7q' },
      { uid: '3', count: 1, at: '2026-12-04T10:00:03.000Z', text: 'Normal Sync Service/billing: synced' },
      { uid: '2', count: 3, at: '2026-12-04T10:00:05.000Z', text: 'Warning BackOff Pod/billing-5d8c7b9f4-x2x7q: Back-off pulling image "ghcr.io/acme/billing:main-abc1234" (×3)' },
    ]);
  });

  it('takes eventTime or the creation time when lastTimestamp is not set, and every Event when the start is unknown', () => {
    const lines = kubeEventLines([event('1', 'Deployment', 'billing', '', { lastTimestamp: null, eventTime: '2026-12-04T10:00:01.123456Z' }), event('2', 'Deployment', 'billing', '', { lastTimestamp: null, metadata: { uid: '2', creationTimestamp: '2026-12-04T08:00:00Z' } })], inventory, null);
    assert.deepEqual(lines.map((l) => [l.uid, l.at]), [['2', '2026-12-04T08:00:00.000Z'], ['1', '2026-12-04T10:00:01.123Z']]);
  });
});
