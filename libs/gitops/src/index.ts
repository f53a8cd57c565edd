export { setYamlValue, keyPath, YamlKeyError } from './domain/yaml-value';
export { DEPLOY_TRAILER, deployIdOf, gitOpsCommitMessage } from './domain/deploy-trailer';
export { GitOpsWriter, GitOpsTargetError, SLUICE_COMMITTER, type GitOpsTarget, type GitOpsWrite } from './application/gitops-writer';
export { argoVerdict, type ArgoAppState, type ArgoVerdict } from './domain/argo-verdict';
export { ArgoSync, type ArgoApplications } from './application/argo-sync';
export { ArgoCdClient, ArgoCdAuthError } from './adapters/argocd-client';
