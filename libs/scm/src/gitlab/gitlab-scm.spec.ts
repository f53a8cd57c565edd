import { FakeGitLab } from '@sluice/fake-scm';
import { ScmClients } from '../clients';
import { readerContract } from '../reader-contract';

readerContract('GitLabScm against the fake GitLab (REST v4)', async () => {
  const gitlab = new FakeGitLab({ tokens: ['gl-token'] });
  await gitlab.start();
  gitlab.seed.project({ id: 77, path: 'acme/config', defaultBranch: 'main' });
  const scm = new ScmClients({ minWriteIntervalMs: 1 }).gitlabScm(`${gitlab.url}/api/v4`, 'gl-token');
  return {
    scm,
    fullName: 'acme/config',
    // The project's numeric id; private unless public.
    repository: { fullName: 'acme/config', id: 77, defaultBranch: 'main', private: true, archived: false },
    push: (branch, files, message) => gitlab.seed.push(77, { branch, files, message }),
    stop: () => gitlab.stop(),
  };
});
