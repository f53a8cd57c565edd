import { setTimeout as sleep } from 'node:timers/promises';
import type { GitOpsTarget } from '@sluice/contracts';
import { ScmFileConflictError, type GitHubFileWrites, type GitHubRepoRef, type ScmReader } from '@sluice/scm';
import { gitOpsCommitMessage } from '../domain/deploy-trailer';
import { getYamlValue, setYamlValue } from '../domain/yaml-value';

/** Where a config's image tag lives in its GitOps repository (`target.gitops` of deploy.yaml): repo, branch, the YAML file, the dotted key. */
export type GitOpsFile = Pick<GitOpsTarget, 'repo' | 'branch' | 'path' | 'key'>;

export interface GitOpsWrite {
  readonly deployId: string;
  readonly config: string;
  readonly value: string;
  readonly requestedBy: string;
}

/** The GitOps file cannot take the deploy (absent, not YAML, the key holds a mapping): the deploy fails with this message. */
export class GitOpsTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GitOpsTargetError';
  }
}

/** Who GitOps commits are by. */
export const SLUICE_COMMITTER = { name: 'Sluice', email: 'sluice@users.noreply.github.com' } as const;

/**
 * Writes a deploy's tag into its GitOps file (issue #18 §2): one commit per deploy through the
 * contents API, the deploy id in its message and trailer, the file's comments and layout kept.
 * Idempotent: when the value is there already (a redelivered request, or a commit made before a
 * crash) nothing is committed. A concurrent commit to the file (the contents API refuses the stale
 * blob SHA) is read again and the change redone on top of it, with backoff and jitter.
 */
export class GitOpsWriter {
  constructor(
    private readonly files: GitHubFileWrites,
    /** Branch heads: the SCM reader the process already has. */
    private readonly heads: Pick<ScmReader, 'getBranch'>,
    private readonly options: { readonly attempts?: number; readonly backoffMs?: number } = {},
  ) {}

  /** The value at `key` of the file at commit (or branch) `ref`; null when the file or the key is absent. */
  async valueAt(target: Pick<GitOpsFile, 'repo' | 'path' | 'key'>, ref: string): Promise<string | null> {
    const file = await this.files.readFile({ fullName: target.repo }, target.path, ref);
    return file ? getYamlValue(file.content, target.key) : null;
  }

  /**
   * The tag in the file; `commitSha` of the commit made, null when it was there already.
   * `revision`: the commit that holds it — what Argo CD syncs to.
   */
  async write(target: GitOpsFile, write: GitOpsWrite): Promise<{ readonly commitSha: string | null; readonly revision: string }> {
    const repo: GitHubRepoRef = { fullName: target.repo };
    const attempts = this.options.attempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      const file = await this.files.readFile(repo, target.path, target.branch);
      if (!file) throw new GitOpsTargetError(`${target.repo}:${target.branch}/${target.path} does not exist`);
      let next: { text: string; changed: boolean };
      try {
        next = setYamlValue(file.content, target.key, write.value);
      } catch (error) {
        throw new GitOpsTargetError(`${target.repo}:${target.branch}/${target.path}: ${(error as Error).message}`);
      }
      if (!next.changed) {
        const head = (await this.heads.getBranch(target.repo, target.branch))?.sha;
        if (!head) throw new GitOpsTargetError(`${target.repo} has no branch ${target.branch}`);
        return { commitSha: null, revision: head };
      }
      try {
        const { commitSha } = await this.files.commitFile(repo, {
          path: target.path,
          branch: target.branch,
          content: next.text,
          sha: file.sha,
          message: gitOpsCommitMessage({ config: write.config, key: target.key, value: write.value, deployId: write.deployId, requestedBy: write.requestedBy }),
          committer: SLUICE_COMMITTER,
        });
        return { commitSha, revision: commitSha };
      } catch (error) {
        if (!(error instanceof ScmFileConflictError) || attempt >= attempts) throw error;
        const base = (this.options.backoffMs ?? 200) * 2 ** (attempt - 1);
        await sleep(base / 2 + Math.random() * base);
      }
    }
  }
}
