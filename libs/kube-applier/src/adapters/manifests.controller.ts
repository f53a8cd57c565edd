import { Controller, Get, Inject, Param, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { BearerAuthGuard, CurrentPrincipal, requireTeam, type Principal } from '@sluice/auth';
import { SERVICE_DATA_SOURCE } from '@sluice/event-store';
import { BadRequestError, errorResponse, NotFoundError, openApiSchema, type OpenApiInfo } from '@sluice/platform';
import type { DataSource } from 'typeorm';
import { z } from 'zod';

/** Kube-applier's OpenAPI document (served at `/api/docs-json` with `setupOpenApi` from `@sluice/platform`). */
export const KUBE_APPLIER_OPENAPI: OpenApiInfo = {
  title: 'Sluice kube-applier',
  description: 'The manifests kube-applier rendered for a deploy (Secret values masked)',
};

/** The answer of both routes (`view` below), for the OpenAPI document. */
const manifestsSchema = z.object({
  deployId: z.string(),
  config: z.string(),
  namespace: z.string(),
  kind: z.string(),
  artifactSha: z.string().nullable(),
  configSha: z.string().nullable(),
  imageTag: z.string().nullable(),
  dryRun: z.boolean(),
  requestedAt: z.string(),
  renderError: z.object({ reason: z.string(), message: z.string() }).nullable(),
  manifests: z.array(z.record(z.string(), z.unknown())).describe('Kubernetes objects; data/stringData of Secrets are <redacted>'),
});

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
@ApiTags('manifests')
@ApiBearerAuth()
@ApiResponse({ status: 200, schema: openApiSchema(manifestsSchema) })
@ApiResponse({ status: 400, description: 'bad deploy id or config name, naming the field', schema: errorResponse })
@ApiResponse({ status: 401, description: 'no or invalid bearer token', schema: errorResponse })
@ApiResponse({ status: 403, description: "another team's deploy", schema: errorResponse })
@Controller('api')
@UseGuards(BearerAuthGuard)
export class ManifestsController {
  constructor(@Inject(SERVICE_DATA_SOURCE) private readonly dataSource: DataSource) {}

  @Get('deploys/:id/manifests')
  @ApiOperation({ summary: 'The manifests rendered for one deploy' })
  @ApiParam({ name: 'id', description: 'a deploy id (UUID)' })
  @ApiResponse({ status: 404, description: 'no such deploy reached kube-applier', schema: errorResponse })
  async ofDeploy(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    if (!UUID.test(id)) throw new BadRequestError('id must be a deploy id (UUID)', { details: { field: 'path.id' } });
    const [row]: DeployRow[] = await this.dataSource.query(`SELECT * FROM kube_applier.deploys WHERE deploy_id = $1`, [id]);
    if (!row) throw new NotFoundError(`no deploy ${id} reached kube-applier`);
    requireTeam(principal, row.team);
    return view(row);
  }

  @Get('configs/:name/manifests')
  @ApiOperation({ summary: 'The manifests of the latest deploy of a config that rendered' })
  @ApiParam({ name: 'name', description: 'a config name' })
  @ApiResponse({ status: 404, description: 'no deploy of this config reached kube-applier', schema: errorResponse })
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
