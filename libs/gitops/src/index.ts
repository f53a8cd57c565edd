export { setYamlValue, getYamlValue, keyPath, YamlKeyError } from './domain/yaml-value';
export { DEPLOY_TRAILER, deployIdOf, gitOpsCommitMessage } from './domain/deploy-trailer';
export { GitOpsWriter, GitOpsTargetError, SLUICE_COMMITTER, type GitOpsFile, type GitOpsWrite } from './application/gitops-writer';
export { argoVerdict, type ArgoAppState, type ArgoVerdict } from './domain/argo-verdict';
export { ArgoSync, ArgoCdAuthError, type ArgoApplications } from './application/argo-sync';
export { ArgoCdClient } from './adapters/argocd-client';
export { GitOpsDeploys, type GitOpsVerdict } from './application/gitops-deploys';
export { gitOpsDeploysFromSettings } from './gitops.factory';
