import { isDeepStrictEqual } from 'node:util';
import type { DeployConfigRoot } from '@sluice/contracts';
import type { ConfigFieldError, ParsedConfig } from './deploy-config';

/** What repo-sync knows of one config repository before a scan. */
export interface KnownConfigs {
  /** Valid configs of this repository, by name. */
  readonly configs: ReadonlyMap<string, DeployConfigRoot>;
  /** Recorded errors of this repository, by folder path. */
  readonly errors: ReadonlyMap<string, readonly ConfigFieldError[]>;
  /** Config names declared by other repositories (name → repo), which this one may not take. */
  readonly namesElsewhere: ReadonlyMap<string, string>;
}

export interface ConfigDecisions {
  readonly discovered: readonly DeployConfigRoot[];
  readonly changed: readonly DeployConfigRoot[];
  readonly removed: readonly DeployConfigRoot[];
  /** Folders whose errors are new or different (an event each). */
  readonly invalid: ReadonlyArray<{ readonly path: string; readonly errors: readonly ConfigFieldError[] }>;
  /** Every folder that is invalid now (the recorded errors are replaced by these). */
  readonly allErrors: ReadonlyMap<string, readonly ConfigFieldError[]>;
}

/**
 * Pure: the configs found at a default-branch commit compared with the known ones.
 * A config that became invalid keeps its last valid version (a typo must not undeploy
 * it); only a folder that disappeared is removed. Two folders of one name, or a name
 * another repository already declared, make the later one invalid.
 */
export function decideConfigs(known: KnownConfigs, scanned: readonly ParsedConfig[]): ConfigDecisions {
  const valid = new Map<string, DeployConfigRoot>();
  const allErrors = new Map<string, readonly ConfigFieldError[]>();
  const sorted = [...scanned].sort((a, b) => pathOf(a).localeCompare(pathOf(b)));
  for (const parsed of sorted) {
    if (!parsed.ok) {
      allErrors.set(parsed.path, parsed.errors);
      continue;
    }
    const { config } = parsed;
    const elsewhere = known.namesElsewhere.get(config.name);
    const sibling = valid.get(config.name);
    if (elsewhere) {
      allErrors.set(config.path, [{ path: 'name', message: `config name "${config.name}" is already declared by ${elsewhere}` }]);
    } else if (sibling) {
      allErrors.set(config.path, [{ path: 'name', message: `config name "${config.name}" is already declared by ${sibling.path}` }]);
    } else {
      valid.set(config.name, config);
    }
  }

  const discovered: DeployConfigRoot[] = [];
  const changed: DeployConfigRoot[] = [];
  for (const config of valid.values()) {
    const before = known.configs.get(config.name);
    if (!before) discovered.push(config);
    else if (!isDeepStrictEqual(before, config)) changed.push(config);
  }
  const removed = [...known.configs.values()].filter((c) => !valid.has(c.name) && !allErrors.has(c.path));
  const invalid = [...allErrors.entries()]
    .filter(([path, errors]) => !isDeepStrictEqual(known.errors.get(path), errors))
    .map(([path, errors]) => ({ path, errors }));
  return { discovered, changed, removed, invalid, allErrors };
}

function pathOf(p: ParsedConfig): string {
  return p.ok ? p.config.path : p.path;
}
