import { FakeBitbucket } from '@sluice/fake-scm';
import { ScmClients } from '../clients';
import { readerContract, type SeededBuildState } from '../reader-contract';

const BUILD_STATE = { running: 'INPROGRESS', success: 'SUCCESSFUL', failed: 'FAILED', stopped: 'STOPPED' } as const satisfies Record<SeededBuildState, string>;

readerContract('BitbucketScm against the fake Bitbucket Cloud (2.0)', async () => {
  const bitbucket = new FakeBitbucket({ tokens: ['bb-token'] });
  await bitbucket.start();
  bitbucket.seed.repo({ workspace: 'acme', slug: 'config', mainBranch: 'main' });
  const scm = new ScmClients({ minWriteIntervalMs: 1 }).bitbucketScm(`${bitbucket.url}/2.0`, 'bb-token');
  return {
    scm,
    fullName: 'acme/config',
    // No numeric id (Bitbucket's is a UUID); the main branch from `mainbranch`.
    repository: { fullName: 'acme/config', id: null, defaultBranch: 'main', private: true, archived: false },
    push: (branch, files, message) => bitbucket.seed.push('acme/config', { branch, files, message }),
    seedRepos: (count) => Array.from({ length: count }, (_, i) => bitbucket.seed.repo({ workspace: 'acme', slug: `service-${i}` })),
    // One status per (commit, key): a new state updates it.
    build: (sha, name, state) => {
      const url = `https://ci.example/acme/config/${name}`;
      bitbucket.seed.status('acme/config', sha, { key: `key-${name}`, name, state: BUILD_STATE[state], url });
      return url;
    },
    stop: () => bitbucket.stop(),
  };
});
