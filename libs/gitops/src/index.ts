export { setYamlValue, keyPath, YamlKeyError } from './domain/yaml-value';
export { DEPLOY_TRAILER, deployIdOf, gitOpsCommitMessage } from './domain/deploy-trailer';
export { GitOpsWriter, GitOpsTargetError, SLUICE_COMMITTER, type GitOpsTarget, type GitOpsWrite } from './application/gitops-writer';
