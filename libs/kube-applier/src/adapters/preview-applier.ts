import { applierStream, newEvent, type SluiceEventOf } from '@sluice/contracts';
import { managerOf, type EventStore, type Transaction } from '@sluice/event-store';
import { applyObject, KubeBadRequestError, KubeForbiddenError, KubeInvalidError, KubeNotFoundError, type KubeClient } from '@sluice/kube';
import type { Logger } from '@sluice/platform';
import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import type { DeployPolicy, SpecSource } from '../application/ports';
import { inventoryOf, type InventoryEntry } from '../domain/deploy-config';
import { RenderError } from '../domain/errors';
import { previewManifests, prunedEntries } from '../domain/preview';
import { NO_MANIFEST_TOOLS, renderConfig, type ManifestTools } from '../application/render-config';

export type PreviewDeployed = SluiceEventOf<'preview.deployed'>;
export type PreviewReleased = SluiceEventOf<'preview.released'>;

/** The objects each preview holds in the cluster, so a redeploy prunes and a release removes them. */
export class KubeApplierPreviews1768000000001 implements MigrationInterface {
  name = 'KubeApplierPreviews1768000000001';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE kube_applier.preview_inventory (
        namespace   text NOT NULL,
        name        text NOT NULL,
        preview_id  uuid NOT NULL,
        objects     jsonb NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (namespace, name)
      )`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE kube_applier.preview_inventory`);
  }
}

/** What the cluster work of one preview event came to, recorded in the inbox transaction. */
export interface PreviewWork {
  readonly ok: boolean;
  readonly message: string;
  /** The preview's objects now (empty after a release). */
  readonly inventory: InventoryEntry[];
}

/** The field manager of previews' objects, apart from the main deploys' (`sluice`). */
const PREVIEW_FIELD_MANAGER = 'sluice-preview';

/**
 * Preview environments in the cluster (docs/architecture.md §1 "Previews"), on kube-applier's
 * consumer group `kube-applier.previews`: `preview.deployed` → the config's specs rendered at the
 * preview's config commit with the pull request's image tag, made into the preview
 * (`previewManifests`), checked against the team policy for the previews namespace, applied
 * server-side and what the last apply held but this one does not pruned; `preview.released` → its
 * objects deleted. The cluster work is outside the inbox transaction and idempotent; the inventory
 * and `preview.applied` (stream `applier-<config>`) are recorded in it. A preview never touches
 * the config's DeployConfig or its deploy state.
 */
export class PreviewApplier {
  constructor(
    private readonly kube: KubeClient | null,
    private readonly specs: SpecSource,
    private readonly policy: DeployPolicy,
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
    private readonly logger: Logger,
    /** Helm and Kustomize configs render as their deploys do. */
    private readonly tools: ManifestTools = NO_MANIFEST_TOOLS,
  ) {}

  async deploy(event: PreviewDeployed): Promise<PreviewWork> {
    const d = event.data;
    const before = await this.inventory(d.namespace, d.name);
    try {
      const policy = await this.policy.policyOf(d.team);
      const placement = await this.policy.placement({ config: d.config, team: d.team, namespace: d.namespace, configRepo: d.configRepo }, policy);
      if (!placement.allowed) return { ok: false, message: `${placement.reason}: ${placement.message}`, inventory: before };
      const files = await this.specs.read(d.configRepo, d.configSha, d.path, d.configRepoProvider);
      const rendered = await renderConfig(this.tools, files, { config: d.config, namespace: d.namespace, folder: d.path, artifactImage: d.artifactImage, imageTag: d.imageTag, policy });
      const { objects, skipped } = previewManifests(rendered, { name: d.name, pr: d.pr, namespace: d.namespace, url: d.url });
      const inventory = inventoryOf(objects);
      const left = skipped.length > 0 ? `; left out: ${skipped.join(', ')}` : '';
      if (!this.kube) return { ok: true, message: `dry run: ${objects.length} objects rendered, nothing applied${left}`, inventory };
      for (const object of objects) await applyObject(this.kube, object, { fieldManager: PREVIEW_FIELD_MANAGER, force: true });
      await this.remove(prunedEntries(before, inventory));
      return { ok: true, message: `${objects.length} objects applied in ${d.namespace}${left}`, inventory };
    } catch (error) {
      if (error instanceof RenderError || (error as Error).name === 'SpecSourceError') return { ok: false, message: (error as Error).message, inventory: before };
      // The API server refused an object (forbidden, invalid, no such namespace): terminal, reported on the pull request.
      if (error instanceof KubeForbiddenError || error instanceof KubeInvalidError || error instanceof KubeBadRequestError || error instanceof KubeNotFoundError) {
        return { ok: false, message: error.message, inventory: before };
      }
      throw error;
    }
  }

  async release(event: PreviewReleased): Promise<PreviewWork> {
    const d = event.data;
    await this.remove(await this.inventory(d.namespace, d.name));
    return { ok: true, message: `released (${d.reason})`, inventory: [] };
  }

  /** Records the preview's inventory and, for a deploy, `preview.applied` on the config's applier stream. */
  async record(manager: Transaction, event: PreviewDeployed | PreviewReleased, work: PreviewWork): Promise<void> {
    const d = event.data;
    const m = managerOf(manager);
    if (event.type === 'preview.released') {
      await m.query(`DELETE FROM kube_applier.preview_inventory WHERE namespace = $1 AND name = $2`, [d.namespace, d.name]);
      return;
    }
    await m.query(
      `INSERT INTO kube_applier.preview_inventory (namespace, name, preview_id, objects) VALUES ($1, $2, $3, $4)
       ON CONFLICT (namespace, name) DO UPDATE SET preview_id = EXCLUDED.preview_id, objects = EXCLUDED.objects, updated_at = now()`,
      [d.namespace, d.name, d.previewId, JSON.stringify(work.inventory)],
    );
    const { previewId, config, team, repo, pr, headSha, namespace, name, slot } = event.data;
    const applied = newEvent('preview.applied', { previewId, config, team, repo, pr, headSha, namespace, name, slot, ok: work.ok, message: work.message, url: event.data.url, objects: work.inventory.length });
    await this.store.append(applierStream(config), 'any', [{ ...applied, correlationId: event.correlationId, causationId: event.id }], { manager });
    this.logger.info({ config, pr, previewId, ok: work.ok, objects: work.inventory.length }, work.ok ? 'preview applied' : 'preview refused');
  }

  private async inventory(namespace: string, name: string): Promise<InventoryEntry[]> {
    const [row]: Array<{ objects: InventoryEntry[] }> = await this.dataSource.query(`SELECT objects FROM kube_applier.preview_inventory WHERE namespace = $1 AND name = $2`, [namespace, name]);
    return row?.objects ?? [];
  }

  private async remove(entries: readonly InventoryEntry[]): Promise<void> {
    if (!this.kube) return;
    for (const e of entries) await this.kube.delete({ apiVersion: e.apiVersion, kind: e.kind, namespace: e.namespace, name: e.name });
  }
}
