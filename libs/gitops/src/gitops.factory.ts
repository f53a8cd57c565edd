import { githubScmFromSettings, GitHubWrites, type GitHubSettings } from '@sluice/scm';
import { ArgoCdClient } from './adapters/argocd-client';
import { ArgoSync } from './application/argo-sync';
import { GitOpsDeploys } from './application/gitops-deploys';
import { GitOpsWriter } from './application/gitops-writer';

/** The GitOps deploys of the settings: GitHub's contents API with the process's shared clients, Argo CD when configured; null without GitHub credentials. */
export function gitOpsDeploysFromSettings(
  settings: GitHubSettings & { readonly ARGOCD_URL?: string; readonly ARGOCD_TOKEN?: string },
  options: { readonly pollMs?: number; readonly timeoutMs?: number } = {},
): GitOpsDeploys | null {
  const scm = githubScmFromSettings(settings);
  if (!scm) return null;
  const argo = settings.ARGOCD_URL && settings.ARGOCD_TOKEN ? new ArgoSync(new ArgoCdClient(settings.ARGOCD_URL, settings.ARGOCD_TOKEN), options) : null;
  return new GitOpsDeploys(new GitOpsWriter(new GitHubWrites(scm), scm), argo);
}
