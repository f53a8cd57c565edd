import { PeriodicTask } from '@sluice/platform';
import type { DeployStep } from '../domain/deploy-steps';
import type { ConfigCommands } from './config-commands';

/** A deploy handed to kube-applier and not ended, with its steps. */
export interface InFlightDeploy {
  readonly deployId: string;
  readonly config: string;
  readonly steps: readonly DeployStep[];
  /** When its last event was recorded. */
  readonly updatedAt: string;
}

export interface InFlightDeploys {
  inFlight(): Promise<InFlightDeploy[]>;
}

interface Logger {
  warn(obj: object, msg: string): void;
}

/**
 * A deploy stuck in a step past the step's deadline fails (§1 "Steps"), so a deploy whose outcome
 * never comes does not wait for someone's `/abandon`: the step under way (started, or the first not
 * run) has been so since its start, or since the deploy's last event. kube-applier's own deadlines
 * (a rollout's progress deadline, Argo CD's follow) come first; this one is the last word.
 */
export class StepDeadlines {
  private readonly task = new PeriodicTask(
    () => this.sweep(),
    (e) => this.log.warn({ err: e.message }, 'step deadline sweep failed'),
  );

  constructor(
    private readonly commands: ConfigCommands,
    private readonly deploys: InFlightDeploys,
    private readonly deadlineMs: number,
    private readonly log: Logger,
  ) {}

  async sweep(now = Date.now()): Promise<void> {
    for (const deploy of await this.deploys.inFlight()) {
      const step = deploy.steps.find((s) => s.state === 'started') ?? deploy.steps.find((s) => s.state === 'pending');
      const since = step?.startedAt ?? deploy.updatedAt;
      if (now - Date.parse(since) <= this.deadlineMs) continue;
      const name = step?.name ?? 'unknown';
      this.log.warn({ deployId: deploy.deployId, config: deploy.config, step: name, since }, 'deploy stuck in a step past its deadline: failed');
      await this.commands.execute(deploy.config, () => ({ type: 'ExpireStep', deployId: deploy.deployId, step: name, since, deadlineSeconds: this.deadlineMs / 1000 }));
    }
  }

  start(intervalMs: number): void {
    this.task.start(intervalMs);
  }

  stop(): Promise<void> {
    return this.task.stop();
  }
}
