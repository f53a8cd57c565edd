import type { Transaction } from '@sluice/event-store';
import { v7 as uuidv7 } from 'uuid';
import type { ConfigCommand, Decision } from '../domain/decide';
import type { ConfigState } from '../domain/state';
import type { ConfigCommands, ExecuteOptions } from './config-commands';
import type { RepoKnowledge } from './ports';

export const AUTODEPLOY_ACTOR = 'autodeploy';

/**
 * Rules 1 and 2 applied to what is known now rather than to one event: what autodeploy would
 * run for a config once it was discovered, changed or unpinned — the newest green build of its
 * tracked branch with the config repository's head (artifactful), or the head of its tracked
 * branch (artifactless). Without this, such a config waited for the next push or build.
 */
export class AutodeployCatchUp {
  constructor(
    private readonly commands: ConfigCommands,
    private readonly knowledge: RepoKnowledge,
  ) {}

  /**
   * Requests (or records why it skips) the config's autodeploy target. `catalogueSha` is the
   * commit the config was just read at, when a discovery triggers it: it may be newer than the
   * head known so far (its push not yet seen).
   */
  run(name: string, input: { reason: string; catalogueSha: string | null }, options: ExecuteOptions = {}): Promise<Decision> {
    return this.commands.execute(name, (state, m) => this.command(state, m, input), options);
  }

  private async command(state: ConfigState, m: Transaction, input: { reason: string; catalogueSha: string | null }): Promise<ConfigCommand> {
    const base = {
      type: 'RequestDeploy',
      deployId: uuidv7(),
      cause: 'autodeploy',
      requestedBy: AUTODEPLOY_ACTOR,
      reason: input.reason,
      reappliedFrom: null,
      facts: { artifactShaKnown: true, configShaKnown: true, artifactBranch: null },
    } as const;
    const root = state.root;
    // Not registered or removed: the decider refuses, as for any request.
    if (!root) return { ...base, pair: { artifactSha: null, configSha: null } };
    const branch = root.track.branch;
    if (!root.artifact) {
      const head = await this.knowledge.trackedHead(m, root.configRepo, branch, input.catalogueSha);
      if (head === null) {
        return { ...base, pair: { artifactSha: null, configSha: null }, obstacle: { code: 'unknown-head', message: `the head of ${branch} of ${root.configRepo} is not known yet` } };
      }
      return { ...base, pair: { artifactSha: null, configSha: head } };
    }
    const { repo, build } = root.artifact;
    const artifactSha = await this.knowledge.latestGreenBuild(m, repo, branch, build);
    const configSha = await this.knowledge.configRepoHead(m, root.configRepo, input.catalogueSha);
    const pair = { artifactSha, configSha };
    if (artifactSha === null) {
      const which = build ? `build ${build}` : 'build';
      return { ...base, pair, obstacle: { code: 'no-green-build', message: `no successful ${which} of ${repo} on ${branch} is known yet: the next one deploys` } };
    }
    if (configSha === null) {
      return { ...base, pair, obstacle: { code: 'unknown-head', message: `the head of the default branch of ${root.configRepo} is not known yet` } };
    }
    return { ...base, pair, facts: { ...base.facts, artifactBranch: branch } };
  }
}

