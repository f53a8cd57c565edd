// A diff of the manifests two deploys rendered (GET /api/deploys/{id}/manifests, kept by
// kube-applier): each side as YAML text with sorted keys, one object after another ordered by
// kind, namespace and name, compared line by line with jsdiff and shown as a unified diff whose
// `+`/`-` prefixes read without colour.
import { structuredPatch, type StructuredPatchHunk } from 'diff';
import { Fragment, useEffect, useState, type FormEvent } from 'react';
import { stringify } from 'yaml';
import { api, asApiError, type ApiError, type Deploy } from './api';
import { ErrorMessage } from './components';

export interface DeployManifests {
  readonly deployId: string;
  readonly imageTag: string | null;
  readonly dryRun: boolean;
  readonly renderError: { readonly reason: string; readonly message: string } | null;
  readonly manifests: readonly Record<string, unknown>[];
}

const metadataOf = (o: Record<string, unknown>): { namespace?: string; name?: string } => (o['metadata'] ?? {}) as { namespace?: string; name?: string };
const sortKey = (o: Record<string, unknown>): string => [String(o['kind'] ?? ''), metadataOf(o).namespace ?? '', metadataOf(o).name ?? ''].join('\u0000');

/** The objects as one YAML stream: the same objects give the same text, whatever order they came in. */
export function manifestsText(manifests: readonly Record<string, unknown>[]): string {
  return [...manifests]
    .sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0))
    .map((o) => `---\n${stringify(o, { sortMapEntries: true })}`)
    .join('');
}

const deployLabel = (d: { id: string; imageTag: string | null; kind?: string }): string => `${d.imageTag ?? d.kind ?? 'no image'} (${d.id})`;

interface Compared {
  readonly from: DeployManifests;
  readonly to: DeployManifests;
  readonly hunks: readonly StructuredPatchHunk[];
}

const lineClass = (line: string): string => (line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : 'same');

function RenderNote({ side, m }: { side: string; m: DeployManifests }) {
  if (!m.renderError && !m.dryRun) return null;
  return (
    <p className="hint">
      {side} {deployLabel({ id: m.deployId, imageTag: m.imageTag })}
      {m.dryRun ? ' was a dry run' : ''}
      {m.renderError ? <span className="error">{` did not render: ${m.renderError.reason}: ${m.renderError.message}`}</span> : null}
    </p>
  );
}

/** Two labelled selects (older, newer) and the diff of what the chosen deploys rendered. */
export function ManifestsDiff({ deploys }: { deploys: readonly Deploy[] }) {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [compared, setCompared] = useState<Compared>();
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  // Until chosen: the latest deploy against the one before it (the list is newest first).
  useEffect(() => {
    if (!from && deploys[1]) setFrom(deploys[1].id);
    if (!to && deploys[0]) setTo(deploys[0].id);
  }, [deploys, from, to]);
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setCompared(undefined);
    try {
      const [a, b] = await Promise.all([from, to].map((id) => api<DeployManifests>(`/api/deploys/${encodeURIComponent(id)}/manifests`)));
      setCompared({ from: a, to: b, hunks: structuredPatch('from', 'to', manifestsText(a.manifests), manifestsText(b.manifests), '', '', { context: 3 }).hunks });
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };
  const sides = [
    ['From', from, setFrom],
    ['To', to, setTo],
  ] as const;
  const options = deploys.map((d) => (
    <option key={d.id} value={d.id}>
      {deployLabel(d)}
    </option>
  ));
  return (
    <>
      <h2 id="diff-title">Compare manifests</h2>
      {/* Labels beside (not around) the selects: a wrapping label would add the chosen deploy to the select's name. */}
      <form className="filters" aria-labelledby="diff-title" onSubmit={(e) => void submit(e)}>
        {sides.map(([side, value, set]) => (
          <div className="field" key={side}>
            <label htmlFor={`diff-${side}`}>{side}</label>
            <select id={`diff-${side}`} value={value} onChange={(e) => set(e.target.value)} required>
              {options}
            </select>
          </div>
        ))}
        <button type="submit" className="primary" disabled={busy || !from || !to}>
          Compare
        </button>
      </form>
      <ErrorMessage error={error} />
      {compared ? (
        <>
          <RenderNote side="From" m={compared.from} />
          <RenderNote side="To" m={compared.to} />
          {compared.hunks.length === 0 ? (
            <p>The two deploys rendered the same manifests.</p>
          ) : (
            <pre className="diff" aria-label="Manifests diff" tabIndex={0}>
              <span className="del">{`--- ${deployLabel({ id: compared.from.deployId, imageTag: compared.from.imageTag })}\n`}</span>
              <span className="add">{`+++ ${deployLabel({ id: compared.to.deployId, imageTag: compared.to.imageTag })}\n`}</span>
              {compared.hunks.map((h) => (
                <Fragment key={`${h.oldStart},${h.newStart}`}>
                  <span className="hunk">{`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@\n`}</span>
                  {h.lines.map((line, i) => (
                    <span key={i} className={lineClass(line)}>{`${line}\n`}</span>
                  ))}
                </Fragment>
              ))}
            </pre>
          )}
        </>
      ) : null}
    </>
  );
}
