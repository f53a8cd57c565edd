import { z } from 'zod';
import { commaListSetting, commonConfigSchema, httpUrlSetting, secondsSetting } from '@sluice/platform';
import { imageRegistrySettings } from '@sluice/image-registry';

/**
 * kube-applier's settings on top of the common ones (docs/architecture.md §9).
 * - `KUBE_APPLIER_TARGET`: `auto` (default) applies to the cluster of `KUBECONFIG`, or the
 *   in-cluster service account, and falls back to the dry-run target when there is neither;
 *   `kube` requires a cluster; `dry-run` never touches one.
 * - `KUBE_APPLIER_PROGRESS_DEADLINE_SECONDS` (300): how long workloads may take to roll out.
 * - `KUBE_APPLIER_RESYNC_SECONDS` (60): every DeployConfig is reconciled (drift reverted) at least this often.
 * - `KUBE_APPLIER_HEALTH_POLL_SECONDS` (5): how often a rollout in progress is checked.
 */
export const kubeApplierConfigSchema = commonConfigSchema.extend({
  KUBE_APPLIER_TARGET: z.enum(['auto', 'kube', 'dry-run'], { error: 'expected auto, kube or dry-run' }).default('auto'),
  KUBE_APPLIER_PROGRESS_DEADLINE_SECONDS: secondsSetting.default(300),
  KUBE_APPLIER_RESYNC_SECONDS: secondsSetting.default(60),
  KUBE_APPLIER_HEALTH_POLL_SECONDS: secondsSetting.default(5),
  KUBE_APPLIER_CONCURRENCY: z.string().regex(/^[1-9]\d*$/, { error: 'expected a positive integer' }).transform(Number).default(8),
  /** Reconcile DeployConfigs of this namespace only; default all the credentials may watch. */
  KUBE_APPLIER_WATCH_NAMESPACE: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: 'expected a DNS-1123 namespace name' }).max(63).optional(),
  /**
   * The BuildRun admission webhook (docs/architecture.md §5) is served over HTTPS when both PEM
   * files are set, on `SLUICE_ADMISSION_PORT` (9443).
   */
  SLUICE_ADMISSION_TLS_CERT_FILE: z.string().min(1).optional(),
  SLUICE_ADMISSION_TLS_KEY_FILE: z.string().min(1).optional(),
  /** How long a GitOps deploy waits for its commit's push webhook before Argo CD syncs it anyway. */
  KUBE_APPLIER_GITOPS_PUSH_WAIT_SECONDS: secondsSetting.default(30),
  /** Argo CD (GitOps targets, docs/architecture.md §1): its URL and an API token (never logged). */
  ARGOCD_URL: httpUrlSetting.optional(),
  ARGOCD_TOKEN: z.string().min(1).optional(),
  /** The test-server pool (docs/architecture.md §1 "Steps", step `test`): how many test runs at once. */
  KUBE_APPLIER_TEST_SLOTS: z.string().regex(/^[1-9]\d*$/, { error: 'expected a positive integer' }).transform(Number).default(2),
  /** How long a test slot's lease lasts unless its runner renews it: a crashed runner's runs are taken over after it. */
  KUBE_APPLIER_TEST_LEASE_SECONDS: secondsSetting.default(30),
  /** Step check-image: the registries (as image references name them, e.g. `ghcr.io`) asked before a deploy applies; `*` for all; default none. */
  KUBE_APPLIER_IMAGE_CHECK: commaListSetting('expected registry hosts (host[:port]) or *, comma-separated').optional(),
  ...imageRegistrySettings,
  /**
   * Helm and Kustomize configs (docs/architecture.md §1 "Helm and Kustomize"): the binaries (default
   * the pinned ones infra/render-tools.sh builds into ~/.cache/sluice/bin, else `helm`/`kustomize` on
   * PATH), the chart repository hosts a `helm.repo` may name (host or host:port; default none), and
   * the limits of one render: its time and the bytes it may write (and a chart archive may have).
   */
  KUBE_APPLIER_HELM_BIN: z.string().min(1).optional(),
  KUBE_APPLIER_KUSTOMIZE_BIN: z.string().min(1).optional(),
  KUBE_APPLIER_HELM_REPOS: commaListSetting('expected chart repository hosts (host or host:port), comma-separated')
    .pipe(z.array(z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:\d{1,5})?$/, { error: 'expected host or host:port, without a scheme or path' })))
    .optional(),
  KUBE_APPLIER_RENDER_TIMEOUT_SECONDS: secondsSetting.default(30),
  /**
   * Config repositories on GitLab and Bitbucket Cloud (docs/architecture.md §2): their specs are
   * read through these APIs with these tokens; without a token a deploy of such a config fails,
   * naming the setting. The same settings as repo-sync's and commit-status's.
   */
  GITLAB_API_URL: httpUrlSetting.default('https://gitlab.com/api/v4'),
  GITLAB_TOKEN: z.string().optional(),
  BITBUCKET_API_URL: httpUrlSetting.default('https://api.bitbucket.org/2.0'),
  BITBUCKET_TOKEN: z.string().optional(),
  /** Where helm and kustomize are looked up when their settings (or the cache) name no path: the process's PATH. */
  PATH: z.string().optional(),
  KUBE_APPLIER_RENDER_MAX_BYTES: z.string().regex(/^[1-9]\d*$/, { error: 'expected a positive number of bytes' }).transform(Number).default(8 * 1024 * 1024),
  SLUICE_ADMISSION_PORT: z.string().regex(/^\d+$/, { error: 'expected a port number' }).transform(Number).pipe(z.number().int().min(0).max(65535)).default(9443),
});

export type KubeApplierConfig = z.output<typeof kubeApplierConfigSchema>;
