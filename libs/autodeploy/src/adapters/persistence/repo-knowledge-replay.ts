import { receiveEvent, ViewReplay, type EventStore, type SchemaProjection } from '@sluice/event-store';
import { parseEvent, type SluiceEvent } from '@sluice/contracts';
import { createLogger } from '@sluice/platform';
import type { DataSource, EntityManager } from 'typeorm';
import { projectRepoKnowledge, REPO_KNOWLEDGE_EVENT_TYPES } from '../../application/repo-knowledge-projection';
import { AUTODEPLOY_SCHEMA, REPO_KNOWLEDGE_TABLES } from './migrations';
import { TypeOrmRepoKnowledge } from './typeorm-repo-knowledge';

const log = createLogger('autodeploy.repo-knowledge.replay');

/** What autodeploy knows of the repositories (`RepoKnowledge`), rebuilt from its log. */
export const REPO_KNOWLEDGE_VIEWS = 'autodeploy.repo-knowledge';
export const repoKnowledgeWritersLock = (schema: string): string => `sluice-${schema}-repo-knowledge-writers`;

/**
 * A `sluice.repo.v1` event, first in the consumer's inbox transaction: the writers' lock, and the
 * event kept in autodeploy's log (`received-<stream>` at its source version, not published) so a
 * rebuild projects it where the live consumer did.
 */
export function receiveRepoEvent(manager: EntityManager, store: EventStore, event: SluiceEvent): Promise<void> {
  return receiveEvent(manager, store, event, repoKnowledgeWritersLock(store.schema));
}

const projectRepoKnowledgeLog: SchemaProjection = async (events, manager, schema) => {
  const knowledge = new TypeOrmRepoKnowledge(schema);
  for (const e of events) {
    // Not the copies kept for another consumer (the previews'): those are its own rebuild's.
    if ((REPO_KNOWLEDGE_EVENT_TYPES as readonly string[]).includes(e.type) && !e.stream.startsWith('received:')) await projectRepoKnowledge(parseEvent(e), manager, knowledge);
  }
};

/**
 * `repos`, `branches`, `known_commits`, `commit_times`, `green_builds` and `config_routes` rebuilt
 * blue/green from the `sluice.repo.v1` events autodeploy kept and its own `config.registered` /
 * `config.removed` (`projectRepoKnowledge`), swapped in while the repo consumer's transactions wait
 * (docs/architecture.md §4 "Rebuilding views"). The serial columns that order commits and green
 * builds (`seen`, `seq`) get new numbers in the same order. Refused (409) when the tables had rows
 * before autodeploy kept their events.
 */
export class RepoKnowledgeReplay extends ViewReplay {
  constructor(dataSource: DataSource, options: { batchSize?: number } = {}) {
    super(dataSource, { wake: () => undefined }, {
      schema: AUTODEPLOY_SCHEMA,
      checkpoint: REPO_KNOWLEDGE_VIEWS,
      tables: REPO_KNOWLEDGE_TABLES,
      project: projectRepoKnowledgeLog,
      writersLock: repoKnowledgeWritersLock(AUTODEPLOY_SCHEMA),
      batchSize: options.batchSize,
      logger: log,
      completeness: {
        table: 'repo_knowledge_log',
        code: 'repo_knowledge_log_incomplete',
        lacking: "what autodeploy knows of the repositories was written from sluice.repo.v1 events it did not yet keep in its log",
      },
    });
  }
}
