import { KubeConfig } from '@kubernetes/client-node';

/**
 * Where the cluster credentials come from. Deliberately explicit: the platform config module
 * decides (from KUBECONFIG or the in-cluster environment); this library does not read
 * process.env.
 */
export type KubeConfigSource =
  | { from: 'file'; path: string; context?: string }
  | { from: 'in-cluster' }
  | { from: 'token'; server: string; token: string; caFile?: string; caData?: string };

export class KubeConfigError extends Error {
  override readonly name = 'KubeConfigError';
}

export function loadKubeConfig(source: KubeConfigSource): KubeConfig {
  const kc = new KubeConfig();
  try {
    switch (source.from) {
      case 'file':
        kc.loadFromFile(source.path);
        if (source.context) kc.setCurrentContext(source.context);
        break;
      case 'in-cluster':
        kc.loadFromCluster();
        break;
      case 'token':
        kc.loadFromOptions({
          clusters: [{ name: 'cluster', server: source.server, caFile: source.caFile, caData: source.caData, skipTLSVerify: false }],
          users: [{ name: 'user', token: source.token }],
          contexts: [{ name: 'context', cluster: 'cluster', user: 'user' }],
          currentContext: 'context',
        });
        break;
    }
  } catch (err) {
    throw new KubeConfigError(`cannot load kubeconfig (${describe(source)}): ${(err as Error).message}`, { cause: err });
  }
  if (!kc.getCurrentCluster()) {
    throw new KubeConfigError(`kubeconfig (${describe(source)}) has no current cluster`);
  }
  return kc;
}

/** The same cluster (server, CA) as `base`, authenticated by a bearer token instead. */
export function withBearerToken(base: KubeConfig, token: string): KubeConfig {
  const cluster = base.getCurrentCluster();
  if (!cluster) throw new KubeConfigError('kubeconfig has no current cluster');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ ...cluster, name: 'cluster' }],
    users: [{ name: 'token-user', token }],
    contexts: [{ name: 'context', cluster: 'cluster', user: 'token-user' }],
    currentContext: 'context',
  });
  return kc;
}

function describe(source: KubeConfigSource): string {
  switch (source.from) {
    case 'file':
      return `file ${source.path}`;
    case 'in-cluster':
      return 'in-cluster service account';
    case 'token':
      return `token for ${source.server}`;
  }
}
