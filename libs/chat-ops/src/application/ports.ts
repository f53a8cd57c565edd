import type { DeployDetail } from '../domain/deploy-message';
import type { Transaction } from '@sluice/event-store';

/** Who acts from Slack: `slack:<workspace>/<user>`, and the Sluice teams that user deploys for. */
export interface ChatActor {
  readonly subject: string;
  readonly teams: readonly string[];
}

/** A config as chat-ops needs it to resolve `/deploy <config> <what>`. */
export interface ChatConfig {
  readonly name: string;
  readonly team: string;
  readonly configRepo: string;
  readonly trackBranch: string;
  /** Null for an artifactless config. */
  readonly artifact: { readonly repo: string; readonly build: string | null } | null;
}

export interface ChatDeployView {
  readonly id: string;
  readonly config: string;
  readonly phase: string;
  readonly imageTag: string | null;
  readonly artifactSha: string | null;
  readonly configSha: string | null;
  readonly requestedBy: string;
  readonly reason: string;
  readonly failure: string | null;
  readonly at: string;
}

/** What autodeploy knows, read for chat (autodeploy provides it; chat-ops never reads its tables). */
export interface ChatCatalogue {
  config(name: string): Promise<ChatConfig | null>;
  /** Names of the active configs of `teams`. */
  configNames(teams: readonly string[]): Promise<string[]>;
  branchHead(repo: string, branch: string): Promise<string | null>;
  /** Head of the repository's default branch (a config deploys at its config repository's, as autodeploy does). */
  defaultBranchHead(repo: string): Promise<string | null>;
  /** The full SHA of a known commit of `repo` starting with `prefix` (7–40 hex); null when none or ambiguous. */
  knownCommit(repo: string, prefix: string): Promise<string | null>;
  /** Whether a green build of `sha` (of `buildName`, or any build when null) was recorded. */
  hasGreenBuild(repo: string, sha: string, buildName: string | null): Promise<boolean>;
  /** The config's current pair, phase and pin. */
  status(config: string): Promise<{ phase: string | null; imageTag: string | null; pinnedBy: string | null; currentDeployId: string | null }>;
  /** The newest deploys first. */
  deploys(config: string, limit: number): Promise<ChatDeployView[]>;
  deploy(id: string): Promise<ChatDeployView | null>;
}

/** A refusal of the deploy service, with its message as the API writes it. */
export class ChatDeployRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChatDeployRefused';
  }
}

/** The deploy service the REST API uses (autodeploy): a manual deploy pins; a re-apply repeats an earlier deploy. */
export interface ChatDeploys {
  deploy(
    actor: { subject: string; team: string },
    input: { config: string; artifactSha: string | null; configSha: string | null; branch: string | null; reason: string },
  ): Promise<{ deployId: string; created: boolean }>;
  reapply(actor: { subject: string; team: string }, fromDeployId: string, reason: string): Promise<{ deployId: string; created: boolean }>;
}

/** A pull request as chat needs it (resolved through the SCM's API). */
export interface ChatPullRequests {
  get(repo: string, number: number): Promise<{ headRef: string; headSha: string; headRepo: string | null } | null>;
}

/** A message as rendered for Slack: a fallback text and Block Kit blocks. */
export interface ChatMessage {
  readonly text: string;
  readonly blocks: readonly Record<string, unknown>[];
}

/** Slack's Web API as chat-ops uses it. */
export interface ChatMessenger {
  postEphemeral(channel: string, user: string, text: string): Promise<void>;
  /** Posts a message; its `ts`. */
  post(channel: string, message: ChatMessage): Promise<string>;
  update(channel: string, ts: string, message: ChatMessage): Promise<void>;
  /** The members of a user group (`S…`). */
  groupMembers(groupId: string): Promise<string[]>;
}

/** A deploy's chat message: where it is and what it last said. */
export interface TrackedMessage {
  readonly deployId: string;
  readonly channel: string;
  readonly ts: string | null;
  readonly config: string;
  readonly phase: string;
  /** What the events said about the deploy so far (image tag, commit, who, failure). */
  readonly detail: DeployDetail;
  /** Bumped by every change; the message shows `syncedVersion`. */
  readonly version: number;
  readonly syncedVersion: number;
}

export type { DeployDetail };

/** The deploy messages chat-ops keeps (one per deploy started from chat). */
export interface DeployMessages {
  /** A deploy asked for in `channel`: tracked from now on (nothing when tracked already). */
  track(deployId: string, channel: string, config: string): Promise<void>;
  /**
   * A deploy asked for from chat, seen in its `deploy.requested` (in the consumer's transaction): tracked
   * whether or not `track` has run yet — the event may come first.
   */
  requested(tx: Transaction, deployId: string, config: string, detail: DeployDetail): Promise<void>;
  /** A tracked deploy's phase and detail from its later events (in the consumer's transaction); nothing for another deploy. */
  record(tx: Transaction, deployId: string, phase: string | null, detail: Partial<DeployDetail>): Promise<void>;
  get(deployId: string): Promise<TrackedMessage | null>;
  /** Messages whose last change is not on Slack yet. */
  outOfDate(limit: number): Promise<TrackedMessage[]>;
  /** The message is on Slack (its `ts`) as of `version`. */
  synced(deployId: string, ts: string, version: number): Promise<void>;
  /** The deploy whose message this is (Slack's `ts` in `channel`). */
  byMessage(channel: string, ts: string): Promise<TrackedMessage | null>;
}
