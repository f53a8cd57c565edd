import { ScmAuthError, ScmNotFoundError, ScmRequestError, type ScmReader } from '@sluice/scm';
import { SpecSourceError, type SpecSource } from '../application/ports';
import type { SpecFile } from '../domain/render';

/** Spec files are read whole; a bigger one is refused rather than applied truncated. */
const MAX_SPEC_BYTES = 1024 * 1024;

/**
 * Specs through the SCM port (GitHub trees and blobs). Only the folder's own `*.yaml`/`*.yml`
 * files are fetched. A missing folder or commit, refused credentials, an oversized file or a
 * non-transient refusal is a SpecSourceError (the deploy fails with a reason); transient
 * failures are thrown as they are, so the request is redelivered and read again.
 */
export class ScmSpecSource implements SpecSource {
  constructor(private readonly scm: ScmReader) {}

  async read(repo: string, sha: string, path: string): Promise<SpecFile[]> {
    const folder = path.replace(/\/+$/, '');
    const isSpec = (p: string) => p.startsWith(`${folder}/`) && !p.slice(folder.length + 1).includes('/') && /\.ya?ml$/i.test(p);
    let files;
    try {
      files = await this.scm.readTree(repo, sha, folder, { include: isSpec, maxFileBytes: MAX_SPEC_BYTES });
    } catch (err) {
      if (err instanceof ScmNotFoundError || err instanceof ScmAuthError) throw new SpecSourceError(err.message);
      if (err instanceof ScmRequestError && !err.transient) throw new SpecSourceError(err.message);
      throw err;
    }
    if (files.length === 0) throw new SpecSourceError(`${folder} does not exist in ${repo} at ${sha}`);
    const specs = files.filter((f) => isSpec(f.path));
    const tooBig = specs.find((f) => f.content === null);
    if (tooBig) throw new SpecSourceError(`${tooBig.path} is larger than ${MAX_SPEC_BYTES} bytes`);
    return specs.map((f) => ({ path: f.path, content: f.content! }));
  }
}
