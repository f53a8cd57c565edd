import { ScmAuthError, ScmNotFoundError, ScmRequestError, type ScmFile, type ScmReader } from '@sluice/scm';
import { configSourceOf, KUSTOMIZATION_FILES } from '../domain/config-source';
import { SpecSourceError, type SpecSource } from '../application/ports';
import type { SpecFile } from '../domain/render';

/** Spec files are read whole; a bigger one is refused rather than applied truncated. */
const MAX_SPEC_BYTES = 1024 * 1024;
/** A Helm or Kustomize config's folder is read whole: at most this many files. */
const MAX_FOLDER_FILES = 1000;

/**
 * Specs through the SCM port (GitHub trees and blobs). A plain config's own `*.yaml`/`*.yml`
 * files are fetched; a Helm or Kustomize config's (a kustomization file, or a `helm` block in its
 * deploy.yaml, docs/architecture.md §1 "Helm and Kustomize") whole folder, subfolders included,
 * since the renderer reads bases, charts and generator files from it. A missing folder or commit,
 * refused credentials, an oversized file or a non-transient refusal is a SpecSourceError (the
 * deploy fails with a reason); transient failures are thrown as they are, so the request is
 * redelivered and read again.
 */
export class ScmSpecSource implements SpecSource {
  constructor(private readonly scm: ScmReader) {}

  async read(repo: string, sha: string, path: string): Promise<SpecFile[]> {
    const folder = path.replace(/\/+$/, '');
    const direct = (p: string) => p.startsWith(`${folder}/`) && !p.slice(folder.length + 1).includes('/');
    const isSpec = (p: string) => direct(p) && (/\.ya?ml$/i.test(p) || KUSTOMIZATION_FILES.includes(p.slice(folder.length + 1)));
    const specs = this.whole((await this.readTree(repo, sha, folder, isSpec)).filter((f) => isSpec(f.path)));
    const rendered = configSourceOfSafe(folder, specs);
    if (rendered === 'plain') return specs;
    const all = await this.readTree(repo, sha, folder, () => true);
    if (all.length > MAX_FOLDER_FILES) throw new SpecSourceError(`${folder} holds ${all.length} files; a ${rendered} config's folder may hold ${MAX_FOLDER_FILES}`);
    return this.whole(all);
  }

  private async readTree(repo: string, sha: string, folder: string, include: (path: string) => boolean): Promise<ScmFile[]> {
    let files;
    try {
      files = await this.scm.readTree(repo, sha, folder, { include, maxFileBytes: MAX_SPEC_BYTES });
    } catch (err) {
      if (err instanceof ScmNotFoundError || err instanceof ScmAuthError) throw new SpecSourceError(err.message);
      if (err instanceof ScmRequestError && !err.transient) throw new SpecSourceError(err.message);
      throw err;
    }
    if (files.length === 0) throw new SpecSourceError(`${folder} does not exist in ${repo} at ${sha}`);
    return files;
  }

  private whole(files: readonly ScmFile[]): SpecFile[] {
    const tooBig = files.find((f) => f.content === null);
    if (tooBig) throw new SpecSourceError(`${tooBig.path} is larger than ${MAX_SPEC_BYTES} bytes`);
    return files.map((f) => ({ path: f.path, content: f.content! }));
  }
}

/** Plain, kustomize or helm; a folder the render step will refuse (a bad helm block, both) is read whole, as it names the problem. */
function configSourceOfSafe(folder: string, files: SpecFile[]): 'plain' | 'kustomize' | 'helm' {
  try {
    return configSourceOf(folder, files).kind;
  } catch {
    return 'helm';
  }
}
