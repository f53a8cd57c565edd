import type { EventData, PreviewReleaseReason, PreviewsSpec, ScmProvider } from '@sluice/contracts';

/**
 * A config's preview environments (docs/architecture.md §1 "Previews"), decided from its stream
 * `preview-<config>`: pure, so replaying the stream gives the same slots.
 */

export type PreviewDeployed = { readonly type: 'preview.deployed'; readonly data: EventData<'preview.deployed'> };
export type PreviewReleased = { readonly type: 'preview.released'; readonly data: EventData<'preview.released'> };
export type PreviewEvent = PreviewDeployed | PreviewReleased;

/** What a slot holds: the preview deployed into it last. */
export type Slot = EventData<'preview.deployed'>;

export interface PreviewState {
  /** By slot number (1-based). */
  readonly slots: ReadonlyMap<number, Slot>;
}

export const emptyPreviews: PreviewState = { slots: new Map() };

export function evolvePreviews(state: PreviewState, event: PreviewEvent): PreviewState {
  const slots = new Map(state.slots);
  if (event.type === 'preview.deployed') slots.set(event.data.slot, event.data);
  else if (slots.get(event.data.slot)?.previewId === event.data.previewId) slots.delete(event.data.slot);
  return { slots };
}

/** The config as the previews need it: where its previews go and what they render. */
export interface PreviewConfig {
  readonly name: string;
  readonly team: string;
  readonly artifactRepo: string;
  readonly artifactImage: string;
  /** `artifact.build`: the build whose success makes a head green (null: any build). */
  readonly artifactBuild: string | null;
  readonly configRepo: string;
  /** The config repository's provider when not GitHub (absent = github). */
  readonly configRepoProvider?: ScmProvider;
  readonly path: string;
  /** The config repository commit to render (the config's latest known). */
  readonly configSha: string;
  readonly previews: PreviewsSpec;
}

export type PreviewCommand =
  /** The pull request's head has a green build: deploy it (same slot when it has one). */
  | {
      readonly type: 'DeployPreview';
      readonly config: PreviewConfig;
      readonly pr: number;
      readonly headSha: string;
      readonly headRef: string;
      readonly imageTag: string;
      readonly previewId: string;
      readonly now: Date;
      readonly requestedBy: string;
    }
  /** The pull request closed (or merged): its slot is released at once. */
  | { readonly type: 'ReleasePreview'; readonly repo: string; readonly pr: number; readonly reason: PreviewReleaseReason }
  /** The sweeper: previews past their expiry are released. */
  | { readonly type: 'ExpirePreviews'; readonly now: Date }
  /** The config is gone or declares no previews any more. */
  | { readonly type: 'ReleaseAll'; readonly reason: PreviewReleaseReason };

const released = (slot: Slot, reason: PreviewReleaseReason): PreviewReleased => ({
  type: 'preview.released',
  data: { previewId: slot.previewId, config: slot.config, team: slot.team, repo: slot.repo, pr: slot.pr, headSha: slot.headSha, namespace: slot.namespace, name: slot.name, slot: slot.slot, reason },
});

/** `<config>-pr-<n>`, cut so it stays a DNS label (63 characters). */
export function previewName(config: string, pr: number): string {
  const suffix = `-pr-${pr}`;
  return `${config.slice(0, 63 - suffix.length).replace(/-+$/, '')}${suffix}`;
}

/** `https://<host>` with `{pr}` replaced; null when the config names no host. */
export function previewUrl(host: string | null, pr: number): string | null {
  return host ? `https://${host.replaceAll('{pr}', String(pr))}` : null;
}

/**
 * The slot a pull request's preview goes into: the one it holds; else the lowest free one; else,
 * all being taken, the one that expires first, whose preview is evicted (documented in the README,
 * "Preview environments": a new pull request never waits behind old ones).
 */
function placement(state: PreviewState, repo: string, pr: number, slots: number): { slot: number; evicts: Slot | null } {
  const held = [...state.slots.values()].find((s) => s.repo === repo && s.pr === pr);
  if (held) return { slot: held.slot, evicts: null };
  for (let n = 1; n <= slots; n++) if (!state.slots.has(n)) return { slot: n, evicts: null };
  const oldest = [...state.slots.values()].filter((s) => s.slot <= slots).sort((a, b) => a.expiresAt.localeCompare(b.expiresAt) || a.slot - b.slot)[0]!;
  return { slot: oldest.slot, evicts: oldest };
}

/** decide(command, state) → the events to record. Pure. */
export function decidePreviews(command: PreviewCommand, state: PreviewState): PreviewEvent[] {
  const all = [...state.slots.values()];
  switch (command.type) {
    case 'DeployPreview': {
      const { config, pr, headSha } = command;
      const held = all.find((s) => s.repo === config.artifactRepo && s.pr === pr);
      // The same head again (a redelivery, a second green build, a reopened PR at the same head): nothing new.
      if (held && held.headSha === headSha && held.configSha === config.configSha) return [];
      const { slot, evicts } = placement(state, config.artifactRepo, pr, config.previews.slots);
      const deployed: PreviewDeployed = {
        type: 'preview.deployed',
        data: {
          previewId: command.previewId,
          config: config.name,
          team: config.team,
          repo: config.artifactRepo,
          pr,
          headSha,
          namespace: config.previews.namespace,
          name: previewName(config.name, pr),
          slot,
          headRef: command.headRef,
          configRepo: config.configRepo,
          ...(config.configRepoProvider && config.configRepoProvider !== 'github' ? { configRepoProvider: config.configRepoProvider } : {}),
          path: config.path,
          configSha: config.configSha,
          artifactImage: config.artifactImage,
          imageTag: command.imageTag,
          url: previewUrl(config.previews.host, pr),
          expiresAt: new Date(command.now.getTime() + config.previews.ttlSeconds * 1000).toISOString(),
          requestedBy: command.requestedBy,
        },
      };
      return evicts ? [released(evicts, 'evicted'), deployed] : [deployed];
    }
    case 'ReleasePreview':
      return all.filter((s) => s.repo === command.repo && s.pr === command.pr).map((s) => released(s, command.reason));
    case 'ExpirePreviews':
      return all.filter((s) => Date.parse(s.expiresAt) <= command.now.getTime()).map((s) => released(s, 'expired'));
    case 'ReleaseAll':
      return all.map((s) => released(s, command.reason));
  }
}
