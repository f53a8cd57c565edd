import { Controller, Get, Inject, Param, UseGuards } from '@nestjs/common';
import { BearerAuthGuard, CurrentPrincipal, requireTeam, type Principal } from '@sluice/auth';
import { SERVICE_DATA_SOURCE } from '@sluice/event-store';
import { BadRequestError, NotFoundError } from '@sluice/platform';
import type { DataSource } from 'typeorm';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CONFIG = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

interface DeployRow {
  deploy_id: string;
  config: string;
  namespace: string;
  kind: string;
  artifact_sha: string | null;
  config_sha: string | null;
  image_tag: string | null;
  dry_run: boolean;
  manifests: unknown[] | null;
  render_error: { reason: string; message: string } | null;
  requested_at: Date;
  /** Null for deploys recorded before the column existed. */
  team: string | null;
}

/**
 * The manifests kube-applier rendered for a deploy (what the dry-run target "applied").
 * Secret values are never served: `data`/`stringData` of Secrets are masked. Bearer auth:
 * the admin sees every deploy, a team only its own configs' (403 otherwise).
 */
@Controller('api')
@UseGuards(BearerAuthGuard)
export class ManifestsController {
  constructor(@Inject(SERVICE_DATA_SOURCE) private readonly dataSource: DataSource) {}

  @Get('deploys/:id/manifests')
  async ofDeploy(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    if (!UUID.test(id)) throw new BadRequestError('id must be a deploy id (UUID)', { details: { field: 'path.id' } });
    const [row]: DeployRow[] = await this.dataSource.query(`SELECT * FROM kube_applier.deploys WHERE deploy_id = $1`, [id]);
    if (!row) throw new NotFoundError(`no deploy ${id} reached kube-applier`);
    requireTeam(principal, row.team);
    return view(row);
  }

  @Get('configs/:name/manifests')
  async ofConfig(@CurrentPrincipal() principal: Principal, @Param('name') name: string) {
    if (!CONFIG.test(name) || name.length > 63) throw new BadRequestError('name must be a config name (DNS label)', { details: { field: 'path.name' } });
    const [row]: DeployRow[] = await this.dataSource.query(
      `SELECT * FROM kube_applier.deploys WHERE config = $1 AND render_error IS NULL ORDER BY requested_at DESC LIMIT 1`,
      [name],
    );
    if (!row) throw new NotFoundError(`no deploy of config ${name} reached kube-applier`);
    requireTeam(principal, row.team);
    return view(row);
  }
}

function view(row: DeployRow) {
  return {
    deployId: row.deploy_id,
    config: row.config,
    namespace: row.namespace,
    kind: row.kind,
    artifactSha: row.artifact_sha,
    configSha: row.config_sha,
    imageTag: row.image_tag,
    dryRun: row.dry_run,
    requestedAt: new Date(row.requested_at).toISOString(),
    renderError: row.render_error,
    manifests: (row.manifests ?? []).map(maskSecret),
  };
}

export function maskSecret(obj: unknown): unknown {
  if (typeof obj !== 'object' || obj === null || (obj as { kind?: unknown }).kind !== 'Secret') return obj;
  const copy = { ...(obj as Record<string, unknown>) };
  for (const field of ['data', 'stringData']) {
    const values = copy[field];
    if (values && typeof values === 'object') copy[field] = Object.fromEntries(Object.keys(values).map((k) => [k, '<redacted>']));
  }
  return copy;
}
