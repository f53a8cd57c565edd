import type { SluiceEvent } from '@sluice/contracts';
import type { Transaction } from '@sluice/event-store';
import type { PreviewFacts } from './ports';

/**
 * What the previews know (`PreviewFacts`: configs with previews, pull requests, green builds) after
 * one of their input events. The live consumer runs it before it decides; a rebuild runs it on the
 * events that consumer kept in the host's log (`PreviewFactsReplay`). Every write is keyed, so the
 * result is the same whichever consumer of the host saw an event first.
 */
export async function projectPreviewFacts(event: SluiceEvent, m: Transaction, facts: PreviewFacts): Promise<void> {
  switch (event.type) {
    case 'scm.pull-request.changed': {
      const { repo, number, headSha, headRef, action } = event.data;
      return facts.recordPullRequest(m, { repo: repo.fullName, number, headSha, headRef, open: action !== 'closed' }, event.occurredAt);
    }
    case 'repo.build.recorded': {
      const { repo, sha, buildName, status, conclusion } = event.data;
      if (status === 'completed' && conclusion === 'success') await facts.recordGreenBuild(m, repo, sha, buildName);
      return;
    }
    case 'repo.config.discovered':
    case 'repo.config.changed':
      await facts.recordConfig(m, event.data.config, event.data.configSha);
      return;
    case 'repo.config.removed':
      return facts.forgetConfig(m, event.data.name);
    default:
      return;
  }
}
