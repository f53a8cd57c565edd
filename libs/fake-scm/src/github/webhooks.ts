import { createHmac, randomUUID } from 'node:crypto';

interface ExampleGroup {
  name: string;
  examples: Record<string, unknown>[];
}

let examples: ExampleGroup[] | undefined;

function loadExamples(): ExampleGroup[] {
  // The package ships one JSON document of real payloads captured from GitHub.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  examples ??= require('@octokit/webhooks-examples') as ExampleGroup[];
  return examples;
}

/** `sha256=<hex>` HMAC of the raw body, as GitHub sends in X-Hub-Signature-256. */
export function signWebhook(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * A real payload GitHub sent for `event` (and `action`, when given), from
 * @octokit/webhooks-examples; `index` picks among several. A deep copy: change it freely.
 */
export function examplePayload<T = Record<string, unknown>>(event: string, action?: string, index = 0): T {
  const group = loadExamples().find((g) => g.name === event);
  if (!group) throw new Error(`no example payloads for webhook event ${event}`);
  const matching = action === undefined ? group.examples : group.examples.filter((e) => e.action === action);
  const picked = matching[index];
  if (!picked) {
    const actions = [...new Set(group.examples.map((e) => e.action).filter(Boolean))].join(', ');
    throw new Error(`no example payload for ${event}${action ? `.${action}` : ''} #${index} (actions with examples: ${actions || 'none'})`);
  }
  return structuredClone(picked) as T;
}

/** Event names with example payloads. */
export function exampleEvents(): string[] {
  return loadExamples().map((g) => g.name);
}

export interface GitHubWebhookRequest {
  readonly headers: Record<string, string>;
  /** The exact bytes to send (and to sign). */
  readonly body: string;
  readonly deliveryId: string;
}

/** Headers and raw body of a webhook delivery as GitHub sends it; signed when `secret` is given. */
export function githubWebhookRequest(options: {
  event: string;
  payload: unknown;
  secret?: string;
  deliveryId?: string;
  hookId?: number;
}): GitHubWebhookRequest {
  const body = JSON.stringify(options.payload);
  const deliveryId = options.deliveryId ?? randomUUID();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'GitHub-Hookshot/fake-scm',
    'x-github-event': options.event,
    'x-github-delivery': deliveryId,
    'x-github-hook-id': String(options.hookId ?? 1),
  };
  if (options.secret !== undefined) headers['x-hub-signature-256'] = signWebhook(options.secret, body);
  return { headers, body, deliveryId };
}
