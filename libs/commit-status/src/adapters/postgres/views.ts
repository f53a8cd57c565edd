import { parseEvent, type SluiceEvent } from '@sluice/contracts';
import { createLogCompleteness, migrationSchema, receiveEvent, schemaIdentifier, type EventStore, type SchemaProjection } from '@sluice/event-store';
import type { EntityManager, MigrationInterface, QueryRunner } from 'typeorm';
import { projectDeployStatus, type ReceivedDeployStatusEvent } from '../../application/deploy-status-projector';
import { DEPLOY_STATUS_EVENT_TYPES } from '../../domain/deploy-status';
import { PgDeployStatusStateRepository } from './deploy-state-repository';
import { PgRepoProviders } from './repo-providers';
import { PgTeamRepos } from './team-repos';

/**
 * commit-status's views, projections of what other services' logs told it (docs/architecture.md
 * §4 "Rebuilding views"): each config's deploy status (`deploy_statuses`, from `sluice.deploy.v1`),
 * the repositories of each team's configs (`config_repos`) and each repository's provider
 * (`repo_providers`, both from `sluice.repo.v1`). The consumer keeps every event it projects in
 * commit-status's own log (`receiveViewEvent`), so the log rebuilds them.
 */
export const COMMIT_STATUS_VIEWS = 'commit-status.views';
export const COMMIT_STATUS_VIEW_TABLES = ['deploy_statuses', 'config_repos', 'repo_providers'] as const;
export const commitStatusViewsWritersLock = (schema: string): string => `sluice-${schema}-views-writers`;

export const CONFIG_EVENT_TYPES = ['repo.config.discovered', 'repo.config.changed', 'repo.config.removed', 'repo.renamed', 'repo.upserted'] as const;

type ConfigEvent = SluiceEvent & { readonly type: (typeof CONFIG_EVENT_TYPES)[number] };

/** An event the views project, in the consumer's inbox transaction, before it is applied: kept in commit-status's log. */
export function receiveViewEvent(manager: EntityManager, store: EventStore, event: SluiceEvent): Promise<void> {
  return receiveEvent(manager, store, event, commitStatusViewsWritersLock(store.schema));
}

/** A config or repository event of `sluice.repo.v1` applied to `config_repos` and `repo_providers` of `schema`. */
export async function applyConfigEvent(event: ConfigEvent, manager: EntityManager, schema: string): Promise<void> {
  const teamRepos = new PgTeamRepos(manager.connection, schema);
  const providers = new PgRepoProviders(schema);
  const at = event.occurredAt;
  switch (event.type) {
    case 'repo.config.discovered':
    case 'repo.config.changed':
      return teamRepos.upsert(event.data.config, manager, at);
    case 'repo.config.removed':
      return teamRepos.remove(event.data.name, event.data.configRepo, manager);
    case 'repo.renamed':
      await teamRepos.rename(event.data.from, event.data.to, manager, at);
      return providers.rename(event.data.provider, event.data.from, event.data.to, manager, at);
    case 'repo.upserted':
      return providers.record(event.data.repo.provider, event.data.repo.fullName, manager, at);
  }
}

/**
 * The views from the events of commit-status's log, into `schema` (a rebuild's copy). A deploy
 * status is saved as written (`owned_pending` false); the swap marks pending whatever differs from
 * the live row (`carryOwnedPending`).
 */
export const projectCommitStatusViews: SchemaProjection = async (events, manager, schema) => {
  const states = new PgDeployStatusStateRepository(schema);
  const providers = new PgRepoProviders(schema);
  for (const stored of events) {
    if ((DEPLOY_STATUS_EVENT_TYPES as readonly string[]).includes(stored.type)) {
      await projectDeployStatus(parseEvent(stored) as ReceivedDeployStatusEvent, manager, states, providers, { ownedPending: false });
    } else if ((CONFIG_EVENT_TYPES as readonly string[]).includes(stored.type)) {
      await applyConfigEvent(parseEvent(stored) as ConfigEvent, manager, schema);
    }
  }
};

/**
 * Whether a config's CommitStatus is still to be written is not in the log: a rebuilt row keeps
 * the live row's mark when its state is the same, and is marked pending otherwise (no live row,
 * or the log gave another state), so the sweep writes the CommitStatus from the rebuilt state.
 */
export async function carryOwnedPending(manager: EntityManager, live: string, copy: string): Promise<void> {
  const [l, c] = [schemaIdentifier(live), schemaIdentifier(copy)];
  await manager.query(
    `UPDATE ${c}.deploy_statuses n SET owned_pending = coalesce(
       (SELECT o.owned_pending FROM ${l}.deploy_statuses o WHERE o.config = n.config AND o.state = n.state), true)`,
  );
}

/**
 * Since this version commit-status keeps the events its views project in its own log. Views with
 * rows before it were written from events the log lacks: `commit_status_views_log.complete` says
 * whether a rebuild would give them back.
 */
export class CommitStatusViewsLog1768600000000 implements MigrationInterface {
  name = 'CommitStatusViewsLog1768600000000';
  async up(q: QueryRunner): Promise<void> {
    await createLogCompleteness(q, migrationSchema(q), 'commit_status_views_log', COMMIT_STATUS_VIEW_TABLES);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ${migrationSchema(q)}.commit_status_views_log`);
  }
}
