import { Counter } from 'prom-client';
import { metricsRegistry } from '@sluice/platform';

export type DeliveryOutcome =
  | 'accepted'
  | 'duplicate'
  | 'ignored'
  | 'bad_request'
  | 'unsupported_media_type'
  | 'too_large'
  | 'busy'
  | 'bad_signature'
  | 'scm_unavailable'
  | 'error';

let counter: Counter<'result'> | null = null;

/** `sluice_webhook_deliveries_total{result}`; registered once per process (several apps may share it in tests). */
export function deliveriesCounter(): Counter<'result'> {
  counter ??=
    (metricsRegistry.getSingleMetric('sluice_webhook_deliveries_total') as Counter<'result'> | undefined) ??
    new Counter({
      name: 'sluice_webhook_deliveries_total',
      help: 'GitHub webhook deliveries received, by result',
      labelNames: ['result'] as const,
      registers: [metricsRegistry],
    });
  return counter;
}
