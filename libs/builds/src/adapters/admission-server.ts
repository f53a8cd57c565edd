import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeClient, KubeLogger, KubeObject } from '@sluice/kube';
import { admitBuildRun, BUILD_RUN_API_VERSION, BUILD_RUN_KIND, type BuildRunObject } from '../domain/build-run';

/** The path the ValidatingWebhookConfiguration calls (deploy/admission/). */
export const BUILD_RUN_ADMISSION_PATH = '/validate/buildruns';
const MAX_REVIEW_BYTES = 1024 * 1024;

interface AdmissionRequest {
  readonly uid: string;
  readonly operation?: string;
  readonly kind?: { readonly kind?: string };
  readonly namespace?: string;
  readonly object?: BuildRunObject;
}

export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: boolean;
  readonly status?: { readonly code: number; readonly reason: string; readonly message: string };
}

/**
 * The checks of a new BuildRun that need other objects (docs/architecture.md §5), read from the
 * API server at the time of the request: its owner DeployConfig exists, and no other BuildRun of
 * its config and target has not ended.
 */
export class BuildRunAdmission {
  constructor(private readonly kube: KubeClient) {}

  async review(request: AdmissionRequest): Promise<AdmissionResponse> {
    const run = request.object;
    if (request.operation !== 'CREATE' || request.kind?.kind !== BUILD_RUN_KIND || !run?.spec) return { uid: request.uid, allowed: true };
    const namespace = run.metadata.namespace ?? request.namespace!;
    const owner = await this.kube.find<KubeObject>({ apiVersion: 'sluice.dev/v1alpha1', kind: 'DeployConfig', namespace, name: run.spec.config });
    const others = (await this.kube.list<BuildRunObject>({ apiVersion: BUILD_RUN_API_VERSION, kind: BUILD_RUN_KIND, namespace })).items;
    const verdict = admitBuildRun({ ...run, metadata: { ...run.metadata, namespace } }, { owner, others });
    if (verdict.allowed) return { uid: request.uid, allowed: true };
    return { uid: request.uid, allowed: false, status: { code: 403, reason: 'Forbidden', message: verdict.message } };
  }
}

export interface AdmissionServerOptions {
  readonly kube: KubeClient;
  readonly logger: KubeLogger;
  /** PEM files of the serving certificate (its SAN names the Service, or the address the API server calls). */
  readonly certFile: string;
  readonly keyFile: string;
  readonly port: number;
  readonly host?: string;
}

export interface AdmissionServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves the validating admission webhook over HTTPS (the API server calls webhooks only over
 * TLS): `POST /validate/buildruns` with an `admission.k8s.io/v1` AdmissionReview. A malformed
 * review is a 400; a failure to read the cluster a 500, which the API server treats by the
 * webhook's `failurePolicy` (Fail: no BuildRun is created unchecked).
 */
export async function startAdmissionServer(options: AdmissionServerOptions): Promise<AdmissionServer> {
  const admission = new BuildRunAdmission(options.kube);
  const server: Server = createServer({ cert: readFileSync(options.certFile), key: readFileSync(options.keyFile) }, (req, res) => {
    void serve(admission, options.logger, req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', resolve);
  });
  const address = server.address() as AddressInfo;
  options.logger.info({ port: address.port }, 'BuildRun admission webhook listening');
  return {
    url: `https://${address.address}:${address.port}${BUILD_RUN_ADMISSION_PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function serve(admission: BuildRunAdmission, logger: KubeLogger, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const answer = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const path = (req.url ?? '/').split('?')[0];
  if (path !== BUILD_RUN_ADMISSION_PATH) return answer(404, { error: 'not_found', message: `no route ${path}` });
  if (req.method !== 'POST') return answer(405, { error: 'method_not_allowed', message: 'POST an AdmissionReview' });
  let review: { apiVersion?: string; kind?: string; request?: AdmissionRequest };
  try {
    review = JSON.parse(await readBody(req)) as typeof review;
  } catch (error) {
    return answer(400, { error: 'bad_request', message: (error as Error).message });
  }
  if (review.kind !== 'AdmissionReview' || typeof review.request?.uid !== 'string') {
    return answer(400, { error: 'bad_request', message: 'expected an admission.k8s.io/v1 AdmissionReview with request.uid' });
  }
  try {
    const response = await admission.review(review.request);
    if (!response.allowed) logger.info({ buildRun: `${review.request.namespace}/${review.request.object?.metadata.name}`, reason: response.status?.message }, 'BuildRun refused');
    answer(200, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response });
  } catch (error) {
    logger.warn({ err: (error as Error).message }, 'BuildRun admission could not read the cluster');
    answer(500, { error: 'internal', message: 'could not read the cluster' });
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REVIEW_BYTES) {
        reject(new Error(`an AdmissionReview larger than ${MAX_REVIEW_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
