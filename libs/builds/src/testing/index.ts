// Test support for builds (not exported from the library's index: test code only): a serving
// certificate for the admission webhook, its registration with the test API server, and the node's
// part for build Pods.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { patchStatus, type KubeClient, type KubeObject } from '@sluice/kube';
import { BUILD_RUN_ADMISSION_PATH } from '../adapters/admission-server';
import { BUILD_RUN_LABEL } from '../domain/build-run';

export interface ServingCertificate {
  readonly certFile: string;
  readonly keyFile: string;
  /** The certificate itself, PEM: the webhook's caBundle (it signs itself). */
  readonly pem: string;
}

/** A self-signed certificate for 127.0.0.1, made by openssl: what the API server checks the webhook's address against. */
export function selfSignedCertificate(): ServingCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-admission-'));
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=sluice-admission', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'pipe' });
  return { certFile, keyFile, pem: readFileSync(certFile, 'utf8') };
}

/**
 * Registers the BuildRun webhook (as deploy/admission/ does) for one namespace only, so tests
 * sharing the API server are not affected; returns a function that removes it.
 */
export async function registerBuildRunWebhook(kube: KubeClient, options: { name: string; port: number; caPem: string; namespace: string }): Promise<() => Promise<void>> {
  await kube.create({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: options.name },
    webhooks: [
      {
        name: 'buildruns.sluice.dev',
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Fail',
        timeoutSeconds: 5,
        clientConfig: { url: `https://127.0.0.1:${options.port}${BUILD_RUN_ADMISSION_PATH}`, caBundle: Buffer.from(options.caPem).toString('base64') },
        rules: [{ apiGroups: ['sluice.dev'], apiVersions: ['v1alpha1'], resources: ['buildruns'], operations: ['CREATE'], scope: 'Namespaced' }],
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': options.namespace } },
      },
    ],
  } as unknown as KubeObject);
  return async () => {
    await kube.delete({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', name: options.name });
  };
}

/** The Pod the Job controller made for a BuildRun (no kubelet runs here: it never starts by itself). */
export async function podOfBuildRun(kube: KubeClient, namespace: string, run: string, timeoutMs = 60_000): Promise<KubeObject> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [pod] = (await kube.list<KubeObject>({ apiVersion: 'v1', kind: 'Pod', namespace }, { labelSelector: `${BUILD_RUN_LABEL}=${run}` })).items;
    if (pod) return pod;
    if (Date.now() > deadline) throw new Error(`no Pod of BuildRun ${namespace}/${run} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** What a kubelet would report for the build Pod; the Job controller does the rest. */
export function playNode(kube: KubeClient, pod: KubeObject, phase: 'Running' | 'Succeeded' | 'Failed'): Promise<KubeObject> {
  return patchStatus(kube, { apiVersion: 'v1', kind: 'Pod', namespace: pod.metadata.namespace!, name: pod.metadata.name! }, {
    phase,
    conditions: [{ type: 'Ready', status: phase === 'Running' ? 'True' : 'False' }],
    ...(phase === 'Failed' ? { containerStatuses: [{ name: 'build', ready: false, restartCount: 0, image: 'ghcr.io/acme/builder:1', imageID: '', state: { terminated: { exitCode: 2, reason: 'Error' } } }] } : {}),
  });
}
