import { createLogger } from '@sluice/platform';
import { parseDeployCommand, type DeployCommand } from '../domain/deploy-command';
import { actorMention, closestNames, PHASE_WORDS } from '../domain/deploy-message';
import type { DeployMessageSync } from './deploy-message-sync';
import { ChatDeployRefused, type ChatActor, type ChatCatalogue, type ChatConfig, type ChatDeploys, type ChatMessenger, type ChatPullRequests, type DeployMessages } from './ports';

/** A slash command as Slack sent it (after its signature was verified). */
export interface SlashCommand {
  readonly workspace: string;
  readonly user: string;
  readonly channel: string;
  readonly command: string;
  readonly text: string;
}

/** A button press on a deploy message (after its signature was verified). */
export interface ButtonPress {
  readonly workspace: string;
  readonly user: string;
  readonly channel: string;
  readonly actionId: string;
  readonly value: string;
}

/** What to answer Slack at once (ephemeral), and the work to do after answering (null: nothing). */
export interface Acknowledgement {
  readonly text: string;
  readonly later: (() => Promise<void>) | null;
}

/** Why a deploy cannot be resolved: answered to the user as it is. */
class Refusal extends Error {}

/** The pair to deploy, resolved from what the user named. */
interface Resolved {
  readonly artifactSha: string | null;
  readonly configSha: string | null;
  readonly branch: string | null;
  readonly described: string;
}

/**
 * The `/deploy` command and the "Roll back" button (issue #18). Slack gets its answer within its
 * 3 seconds: the acknowledgement is decided from the command's text and the user's teams alone;
 * everything that reads (the catalogue, GitHub's pull requests) or writes happens afterwards, and
 * its outcome reaches the user through the Web API — an ephemeral refusal, or the deploy's message
 * in the channel. A deploy goes through autodeploy's deploy service like one from the REST API:
 * manual (it pins), `requestedBy: slack:<workspace>/<user>`, for a team of the user's only.
 */
/** How long a user group's members are trusted before Slack is asked again. */
const GROUP_TTL_MS = 60_000;

export class SlackCommands {
  private readonly log = createLogger('chat-ops.slack');
  private readonly groupIds: string[];
  private readonly groupCache = new Map<string, { readonly members: ReadonlySet<string>; readonly at: number }>();

  constructor(
    private readonly catalogue: ChatCatalogue,
    private readonly deploys: ChatDeploys,
    private readonly pulls: ChatPullRequests,
    private readonly messenger: ChatMessenger,
    private readonly messages: DeployMessages,
    private readonly sync: DeployMessageSync,
    private readonly userTeams: Readonly<Record<string, readonly string[]>>,
  ) {
    this.groupIds = Object.keys(userTeams).filter((id) => id.startsWith('S'));
  }

  command(cmd: SlashCommand): Acknowledgement {
    if (!this.mayBeMapped(cmd.user)) return { text: this.unmapped(cmd.user), later: null };
    const parsed = parseDeployCommand(cmd.text);
    if (!parsed.ok) return { text: parsed.error, later: null };
    const c = parsed.command;
    const ack = c.kind === 'deploy' ? `Working on \`${cmd.command} ${cmd.text.trim()}\`…` : `Looking up \`${c.config}\`…`;
    return { text: ack, later: () => this.settle(cmd, async (actor) => this.run(cmd, actor, c)) };
  }

  press(p: ButtonPress): Acknowledgement {
    if (!this.mayBeMapped(p.user)) return { text: this.unmapped(p.user), later: null };
    if (p.actionId !== 'rollback') return { text: `unknown action ${p.actionId}`, later: null };
    return { text: 'Rolling back…', later: () => this.settle(p, (actor) => this.rollback(p, actor)) };
  }

  /** Known without asking Slack: mapped by id, or possibly through a group (decided after the answer). */
  private mayBeMapped(user: string): boolean {
    return (this.userTeams[user]?.length ?? 0) > 0 || this.groupIds.length > 0;
  }

  /** The user's teams: mapped by their id, and through every mapped group they are in. */
  private async actorOf(workspace: string, user: string): Promise<ChatActor | null> {
    const teams = new Set(this.userTeams[user] ?? []);
    for (const group of this.groupIds) {
      if ((await this.membersOf(group)).has(user)) for (const team of this.userTeams[group] ?? []) teams.add(team);
    }
    return teams.size > 0 ? { subject: `slack:${workspace}/${user}`, teams: [...teams].sort() } : null;
  }

  private async membersOf(group: string): Promise<ReadonlySet<string>> {
    const cached = this.groupCache.get(group);
    if (cached && Date.now() - cached.at < GROUP_TTL_MS) return cached.members;
    const members = new Set(await this.messenger.groupMembers(group));
    this.groupCache.set(group, { members, at: Date.now() });
    return members;
  }

  private unmapped(user: string): string {
    return `You are not mapped to a Sluice team, so you cannot deploy from Slack. Ask an admin to add your Slack user id ${user} (or a user group you are in) to SLACK_USER_TEAMS.`;
  }

  /** Runs the work after the answer, as the user's teams allow: a refusal becomes an ephemeral message; nothing escapes. */
  private async settle(where: { workspace: string; channel: string; user: string }, work: (actor: ChatActor) => Promise<void>): Promise<void> {
    try {
      const actor = await this.actorOf(where.workspace, where.user);
      if (!actor) throw new Refusal(this.unmapped(where.user));
      await work(actor);
    } catch (error) {
      const refused = error instanceof Refusal || error instanceof ChatDeployRefused;
      if (!refused) this.log.error({ user: where.user, err: (error as Error).message }, 'chat command failed');
      const text = refused ? (error as Error).message : `Sluice could not do that: ${(error as Error).message}`;
      await this.messenger.postEphemeral(where.channel, where.user, text).catch((e: Error) => this.log.warn({ err: e.message }, 'ephemeral answer not delivered'));
    }
  }

  private async run(cmd: SlashCommand, actor: ChatActor, c: DeployCommand): Promise<void> {
    const config = await this.ownConfig(actor, c.config);
    if (c.kind === 'status') return this.messenger.postEphemeral(cmd.channel, cmd.user, await this.statusText(config));
    if (c.kind === 'history') return this.messenger.postEphemeral(cmd.channel, cmd.user, await this.historyText(config));
    const what = await this.resolve(config, c);
    const team = config.team;
    const { deployId, created } = await this.deploys.deploy(
      { subject: actor.subject, team },
      { config: config.name, artifactSha: what.artifactSha, configSha: what.configSha, branch: what.branch, reason: `/deploy ${c.config} ${what.described} from Slack by ${actorMention(actor.subject)}` },
    );
    if (!created) {
      await this.messenger.postEphemeral(cmd.channel, cmd.user, `${config.name} already has that deploy (${deployId}): nothing new was requested.`);
      return;
    }
    await this.follow(deployId, cmd.channel, config.name);
  }

  private async rollback(p: ButtonPress, actor: ChatActor): Promise<void> {
    const deploy = await this.catalogue.deploy(p.value);
    if (!deploy) throw new Refusal(`deploy ${p.value} is not known`);
    const config = await this.ownConfig(actor, deploy.config);
    const earlier = (await this.catalogue.deploys(config.name, 100)).find((d) => d.id < deploy.id && d.phase === 'succeeded');
    if (!earlier) throw new Refusal(`${config.name} has no successful deploy before ${deploy.id} to roll back to`);
    const { deployId } = await this.deploys.reapply({ subject: actor.subject, team: config.team }, earlier.id, `rolled back from Slack by ${actorMention(actor.subject)} (from ${deploy.id})`);
    await this.follow(deployId, p.channel, config.name);
  }

  /** The deploy gets its one message in the channel, kept up to date from its events. */
  private async follow(deployId: string, channel: string, config: string): Promise<void> {
    await this.messages.track(deployId, channel, config);
    await this.sync.flush(deployId);
  }

  /** A config of one of the actor's teams; otherwise the names of theirs that come closest. */
  private async ownConfig(actor: ChatActor, name: string): Promise<ChatConfig> {
    const config = await this.catalogue.config(name);
    if (config && actor.teams.includes(config.team)) return config;
    const close = closestNames(name, await this.catalogue.configNames(actor.teams));
    const hint = close.length > 0 ? ` Did you mean ${close.map((n) => `\`${n}\``).join(', ')}?` : '';
    throw new Refusal(`There is no config \`${name}\` you may deploy (your teams: ${actor.teams.join(', ')}).${hint}`);
  }

  private async resolve(config: ChatConfig, c: Extract<DeployCommand, { kind: 'deploy' }>): Promise<Resolved> {
    const repo = config.artifact?.repo ?? config.configRepo;
    let sha: string;
    let branch: string | null = null;
    let described: string;
    switch (c.target.kind) {
      case 'branch': {
        const head = await this.catalogue.branchHead(repo, c.target.branch);
        if (!head) {
          const whose = config.artifact ? 'its artifact repository' : 'its config repository (an artifactless config deploys commits of its config repository)';
          throw new Refusal(`\`${c.target.branch}\` is not a branch of ${repo} that Sluice knows: ${config.name} deploys from ${whose}.`);
        }
        sha = head;
        branch = c.target.branch;
        described = c.target.branch;
        break;
      }
      case 'pull-request': {
        const pr = await this.pulls.get(repo, c.target.number);
        if (!pr) throw new Refusal(`#${c.target.number} is not a pull request of ${repo}.`);
        if (pr.headRepo !== repo) throw new Refusal(`#${c.target.number} comes from ${pr.headRepo ?? 'a deleted fork'}: only branches of ${repo} are deployed.`);
        sha = pr.headSha;
        branch = pr.headRef;
        described = `#${c.target.number} (${pr.headRef})`;
        break;
      }
      case 'sha': {
        const known = await this.catalogue.knownCommit(repo, c.target.sha);
        if (!known) throw new Refusal(`No commit ${c.target.sha} of ${repo} is known to Sluice (or the prefix is ambiguous).`);
        sha = known;
        described = known.slice(0, 7);
        break;
      }
    }
    if (!config.artifact) {
      if (c.configSha) throw new Refusal(`${config.name} is artifactless: what you name is its config commit, so --config-sha does not apply.`);
      return { artifactSha: null, configSha: sha, branch: null, described };
    }
    if (!(await this.catalogue.hasGreenBuild(repo, sha, config.artifact.build))) {
      const build = config.artifact.build ? `build \`${config.artifact.build}\`` : 'green build';
      throw new Refusal(`No successful ${build} of ${repo}@${sha.slice(0, 7)}${branch ? ` (${branch})` : ''} is recorded, so its image may not exist: wait for the build, then try again.`);
    }
    const configSha = c.configSha ?? (await this.catalogue.defaultBranchHead(config.configRepo));
    return { artifactSha: sha, configSha, branch, described };
  }

  private async statusText(config: ChatConfig): Promise<string> {
    const s = await this.catalogue.status(config.name);
    const phase = s.phase ? (PHASE_WORDS[s.phase]?.word ?? s.phase) : 'never deployed';
    const pin = s.pinnedBy ? `, pinned by ${actorMention(s.pinnedBy)}` : '';
    return `\`${config.name}\` (team ${config.team}): ${s.imageTag ? `\`${s.imageTag}\`` : 'no image'} — ${phase}${pin}${s.currentDeployId ? ` (deploy ${s.currentDeployId})` : ''}`;
  }

  private async historyText(config: ChatConfig): Promise<string> {
    const deploys = await this.catalogue.deploys(config.name, 10);
    if (deploys.length === 0) return `\`${config.name}\` has no deploys yet.`;
    const lines = deploys.map((d) => `• ${d.at.slice(0, 16).replace('T', ' ')} ${d.imageTag ? `\`${d.imageTag}\`` : 'undeploy'} — ${PHASE_WORDS[d.phase]?.word ?? d.phase} — ${actorMention(d.requestedBy)}: ${d.reason}`);
    return `Last deploys of \`${config.name}\`:\n${lines.join('\n')}`;
  }
}
