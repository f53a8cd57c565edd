import { FakeGitLab } from '@sluice/fake-scm';
import { ScmClients } from '../clients';
import { readerContract, type SeededBuildState } from '../reader-contract';

const PIPELINE_STATUS: Record<SeededBuildState, string> = { running: 'running', success: 'success', failed: 'failed', stopped: 'canceled' };

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
    seedRepos: (count) =>
      Array.from({ length: count }, (_, i) => {
        gitlab.seed.project({ id: 1000 + i, path: `acme/service-${i}` });
        return `acme/service-${i}`;
      }),
    // Each state is a new pipeline (a re-run is one): the newest of a name is the build.
    build: (sha, name, state) => `${gitlab.webUrl({ path: 'acme/config' })}/-/pipelines/${gitlab.seed.pipeline(77, { sha, name, status: PIPELINE_STATUS[state] })}`,
    stop: () => gitlab.stop(),
  };
});
