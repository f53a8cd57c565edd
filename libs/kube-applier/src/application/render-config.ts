import type { HelmSpec } from '@sluice/contracts';
import type { KubeObject } from '@sluice/kube';
import { checkKustomizations, configSourceOf, firstYamlProblem } from '../domain/config-source';
import { RenderError } from '../domain/errors';
import { renderOutput, renderSpecs, type RenderInput, type SpecFile } from '../domain/render';

/**
 * The renderers of Helm and Kustomize configs (docs/architecture.md §1 "Helm and Kustomize"): each
 * takes the config folder's files as read at configSha and answers the rendered YAML. Throws
 * RenderError (the deploy fails at its render step) naming the file and line where the tool does.
 */
export interface ManifestTools {
  /** `kustomize build` of `folder` (its kustomization file at the root), nothing loaded from outside it. */
  kustomize(input: { folder: string; files: readonly SpecFile[] }): Promise<string>;
  /** `helm template <release> --namespace <namespace>` of the chart `helm` names, with its values files. */
  helm(input: { folder: string; files: readonly SpecFile[]; helm: HelmSpec; release: string; namespace: string }): Promise<string>;
}

/** No renderers wired (tests of plain configs): a config that needs one fails, saying so. */
export const NO_MANIFEST_TOOLS: ManifestTools = {
  kustomize: async () => {
    throw new RenderError('RenderToolMissing', 'kustomize is not available to this kube-applier');
  },
  helm: async () => {
    throw new RenderError('RenderToolMissing', 'helm is not available to this kube-applier');
  },
};

/**
 * Renders a config folder at one commit into the manifests its DeployConfig holds: its plain
 * specs, or what Kustomize or Helm make of the folder, then the same rules (namespace, kinds,
 * labels, image tag) either way. Throws RenderError.
 */
export async function renderConfig(tools: ManifestTools, files: readonly SpecFile[], input: RenderInput): Promise<KubeObject[]> {
  const source = configSourceOf(input.folder, files);
  const inFolder = files.filter((f) => f.path.startsWith(input.folder.replace(/\/+$/, '') + '/'));
  switch (source.kind) {
    case 'plain':
      return renderSpecs(files, input);
    case 'kustomize': {
      checkKustomizations(input.folder, inFolder);
      // kustomize names a malformed resource by its base name only: name the file and line in the repository.
      const output = await tools.kustomize({ folder: input.folder, files: inFolder }).catch(locateYamlError(input.folder, inFolder));
      return renderOutput(output, `${source.file} (kustomize build)`, input);
    }
    case 'helm': {
      // helm names a malformed values file as `values.yaml`: the chart's own files and the values files are looked at (not its templates).
      const { path, values = [] } = source.helm;
      const inputs = inFolder.filter((f) => values.some((v) => f.path === `${input.folder}/${v}`) || (path !== undefined && f.path.startsWith(`${input.folder}/${path}/`) && !f.path.includes('/templates/')));
      const output = await tools.helm({ folder: input.folder, files: inFolder, helm: source.helm, release: input.config, namespace: input.namespace }).catch(locateYamlError(input.folder, inputs));
      return renderOutput(output, `${source.file} (helm template ${source.helm.chart})`, input);
    }
  }
}

/** A tool's YAML error (`yaml: line 3: …`) about one of `files` → a RenderError naming that file and line, else the error as it is. */
function locateYamlError(folder: string, files: readonly SpecFile[]): (error: unknown) => never {
  return (error) => {
    const yamlFailure = error instanceof RenderError && error.reason === 'RenderFailed' && /yaml: line \d+/i.test(error.message) && !/YAML parse error on/.test(error.message);
    throw (yamlFailure && firstYamlProblem(folder, files)) || error;
  };
}
