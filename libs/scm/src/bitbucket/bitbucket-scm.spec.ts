import { FakeBitbucket } from '@sluice/fake-scm';
import { ScmClients } from '../clients';
import { readerContract } from '../reader-contract';

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
    stop: () => bitbucket.stop(),
  };
});
