import { createLogger, PeriodicTask } from '@sluice/platform';
import { renderDeployMessage } from '../domain/deploy-message';
import type { ChatMessenger, DeployMessages } from './ports';

/**
 * Keeps each deploy's one chat message in step with what its events said: the first sync posts it
 * (`chat.postMessage`), every later one edits it in place (`chat.update`), so a deploy never gets two
 * messages. The state is in the database first (`DeployMessages`), Slack second: a sync that fails (an
 * outage, a rate limit past the client's retries) leaves the message out of date, and the sweep
 * brings it to the last state — a deploy never waits for Slack. Syncs of one deploy run one at a time.
 */
export class DeployMessageSync {
  private readonly log = createLogger('chat-ops.messages');
  private readonly running = new Map<string, Promise<void>>();
  private readonly sweeps = new PeriodicTask(
    () => this.sweep(),
    (e) => this.log.warn({ err: e.message }, 'chat message sweep failed'),
  );

  constructor(
    private readonly messages: DeployMessages,
    private readonly messenger: ChatMessenger,
    private readonly linkOf: (deployId: string) => string | null,
  ) {}

  /** Brings one deploy's message up to date (queued behind a sync of the same deploy in progress). */
  flush(deployId: string): Promise<void> {
    const previous = this.running.get(deployId) ?? Promise.resolve();
    const next = previous.then(() => this.syncOnce(deployId)).catch((error: Error) => {
      this.log.warn({ deployId, err: error.message }, 'chat message not updated; the sweep retries it');
    });
    this.running.set(deployId, next);
    void next.finally(() => {
      if (this.running.get(deployId) === next) this.running.delete(deployId);
    });
    return next;
  }

  /** Every message out of date, oldest change first. */
  async sweep(): Promise<void> {
    for (const m of await this.messages.outOfDate(50)) await this.flush(m.deployId);
  }

  start(intervalMs: number): void {
    this.sweeps.start(intervalMs);
  }

  async stop(): Promise<void> {
    await this.sweeps.stop();
    await Promise.allSettled([...this.running.values()]);
  }

  private async syncOnce(deployId: string): Promise<void> {
    const m = await this.messages.get(deployId);
    if (!m || (m.ts !== null && m.syncedVersion >= m.version)) return;
    const message = renderDeployMessage({ deployId, config: m.config, phase: m.phase, ...m.detail, link: this.linkOf(deployId) });
    const ts = m.ts ?? (await this.messenger.post(m.channel, message));
    if (m.ts !== null) await this.messenger.update(m.channel, m.ts, message);
    await this.messages.synced(deployId, ts, m.version);
  }
}
