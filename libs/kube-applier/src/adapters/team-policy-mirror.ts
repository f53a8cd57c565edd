import { teamName, teamPolicySpec } from '@sluice/contracts';
import { AbortedError, Backoff, patchStatus, sleep, watchResources, type KubeClient, type KubeLogger, type KubeObject, type ResourceWatcher, type WatchEvent } from '@sluice/kube';
import type { PgTeamPolicyWriter } from '@sluice/team-policy';
import { FIELD_MANAGER } from '../domain/deploy-config';

export const TEAM_POLICY_API_VERSION = 'sluice.dev/v1alpha1';
export const TEAM_POLICY_KIND = 'TeamPolicy';

type TeamPolicyObject = KubeObject & { spec?: unknown; status?: { observedGeneration?: number } };

/**
 * Mirrors the cluster's TeamPolicy objects (cluster-scoped, named after the team) into Sluice's
 * log: a new or changed spec appends `team.policy.set` (source `cluster`), a deleted object
 * `team.policy.removed`, so every service enforces what the cluster's admins wrote — and a
 * TeamPolicy wins over the admin API's policy for its team. Level-triggered: after every
 * (re)list, a team whose TeamPolicy is gone is removed too, so a deletion while kube-applier
 * was down is not missed. Each object's status says whether it was accepted.
 */
export class TeamPolicyMirror {
  private watcher: ResourceWatcher<TeamPolicyObject> | undefined;
  private loop: Promise<void> | undefined;
  private readonly abort = new AbortController();

  constructor(
    private readonly client: KubeClient,
    private readonly policies: PgTeamPolicyWriter,
    private readonly logger: KubeLogger,
  ) {}

  start(): void {
    this.watcher = watchResources<TeamPolicyObject>(this.client, { apiVersion: TEAM_POLICY_API_VERSION, kind: TEAM_POLICY_KIND, logger: this.logger });
    this.loop = this.watcher.run((event) => this.untilDone(event)).catch((err: unknown) => {
      if (!(err instanceof AbortedError)) this.logger.error({ err: String(err) }, 'TeamPolicy mirror stopped');
    });
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.watcher?.stop();
    await this.loop;
  }

  /** An event is retried with backoff until it is recorded (a database outage must not lose a policy change). */
  private async untilDone(event: WatchEvent<TeamPolicyObject>): Promise<void> {
    const backoff = new Backoff({ initialDelayMs: 200, maxDelayMs: 10_000 });
    for (;;) {
      try {
        await this.handle(event);
        return;
      } catch (err) {
        const delay = backoff.next();
        this.logger.warn({ err: String(err), retryInMs: delay }, 'could not record a TeamPolicy change; retrying');
        await sleep(delay, this.abort.signal);
      }
    }
  }

  private async handle(event: WatchEvent<TeamPolicyObject>): Promise<void> {
    if (event.type === 'SYNCED') {
      const present = new Set(this.watcher!.items().map((o) => o.metadata.name!));
      for (const team of await this.policies.teamsOf('cluster')) {
        if (!present.has(team)) await this.removed(team);
      }
      return;
    }
    const name = event.object.metadata.name!;
    if (event.type === 'DELETED') return this.removed(name);

    const team = teamName.safeParse(name);
    const spec = teamPolicySpec.safeParse(event.object.spec);
    if (!team.success || !spec.success) {
      const problem = !team.success
        ? `the name is the team: ${team.error.issues[0]?.message}`
        : (spec.error?.issues ?? []).map((i) => `spec.${i.path.join('.')}: ${i.message}`).join('; ');
      this.logger.warn({ teamPolicy: name, problem }, 'TeamPolicy not accepted');
      await this.writeStatus(event.object, false, 'Invalid', problem);
      return;
    }
    const held = await this.policies.heldBy(name, 'cluster');
    if (JSON.stringify(held) !== JSON.stringify(spec.data)) {
      await this.policies.set(name, spec.data, `TeamPolicy/${name}`);
      this.logger.info({ team: name }, 'TeamPolicy recorded');
    }
    await this.writeStatus(event.object, true, 'Recorded', `in force for team "${name}" in every Sluice service once the event reached it`);
  }

  private async removed(team: string): Promise<void> {
    if (await this.policies.remove(team, `TeamPolicy/${team}`)) this.logger.info({ team }, 'TeamPolicy removed');
  }

  private async writeStatus(obj: TeamPolicyObject, accepted: boolean, reason: string, message: string): Promise<void> {
    const generation = obj.metadata.generation ?? 0;
    const current = (obj.status as { conditions?: Array<{ type: string; status: string; reason: string }> } | undefined)?.conditions?.find((c) => c.type === 'Accepted');
    const status = accepted ? 'True' : 'False';
    if (obj.status?.observedGeneration === generation && current?.status === status && current.reason === reason) return;
    await patchStatus(
      this.client,
      { apiVersion: TEAM_POLICY_API_VERSION, kind: TEAM_POLICY_KIND, name: obj.metadata.name! },
      {
        observedGeneration: generation,
        conditions: [{ type: 'Accepted', status, reason, message: message.slice(0, 32_000), observedGeneration: generation, lastTransitionTime: new Date().toISOString() }],
      },
      { fieldManager: FIELD_MANAGER },
    ).catch((err: unknown) => this.logger.warn({ err: String(err), teamPolicy: obj.metadata.name }, 'could not write TeamPolicy status'));
  }
}
