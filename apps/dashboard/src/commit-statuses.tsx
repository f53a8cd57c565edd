// The statuses Sluice reports on one commit (GET /api/commit-statuses?repo=&sha=): what Sluice
// wants said (spec) and whether the SCM holds it yet (status), for a repository and commit typed
// in the form or linked from a deploy's page.
import { useState, type FormEvent } from 'react';
import { api, short, usePoll } from './api';
import { ErrorMessage, Table, type Column } from './components';
import { commitStatusesUrl, navigate } from './router';

interface CommitStatus {
  readonly namespace: string;
  readonly name: string;
  readonly spec: { readonly name: string; readonly description: string; readonly phase: string; readonly url: string | null; readonly sha: string };
  readonly status: { readonly isSynced: boolean; readonly syncFailure: { readonly message: string } | null; readonly phase?: string } | null;
}

const synced = (s: CommitStatus): string => {
  if (!s.status) return 'not yet';
  if (s.status.syncFailure) return `failed: ${s.status.syncFailure.message}`;
  return s.status.isSynced ? 'yes' : 'not yet';
};

const COLUMNS: readonly Column<CommitStatus>[] = [
  { label: 'Name', cell: (s) => s.spec.name },
  { label: 'Commit', cell: (s) => <code>{short(s.spec.sha)}</code> },
  { label: 'State', cell: (s) => <span className={`phase phase-${s.spec.phase}`}>{s.spec.phase}</span> },
  { label: 'Description', cell: (s) => s.spec.description },
  {
    label: 'Link',
    cell: (s) =>
      s.spec.url ? (
        <a href={s.spec.url} rel="noreferrer">
          {s.spec.url}
        </a>
      ) : (
        '—'
      ),
  },
  { label: 'On the SCM', cell: synced },
];

export function CommitStatusesPage({ repo, sha }: { repo: string; sha: string }) {
  const [repoInput, setRepoInput] = useState(repo);
  const [shaInput, setShaInput] = useState(sha);
  const { data, error } = usePoll(
    (signal) => (repo ? api<{ items: CommitStatus[] }>(`/api${commitStatusesUrl(repo, sha)}`, { signal }) : Promise.resolve(null)),
    [repo, sha],
  );
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    navigate(commitStatusesUrl(repoInput.trim(), shaInput.trim()));
  };
  return (
    <section aria-labelledby="statuses-title">
      <h1 id="statuses-title">Commit statuses</h1>
      <form className="filters" onSubmit={submit}>
        <label>
          Repository
          <input value={repoInput} onChange={(e) => setRepoInput(e.target.value)} placeholder="owner/name" required />
        </label>
        <label>
          Commit
          <input value={shaInput} onChange={(e) => setShaInput(e.target.value)} placeholder="40-character SHA (empty: every commit)" size={42} />
        </label>
        <button type="submit" className="primary">
          Show
        </button>
      </form>
      <ErrorMessage error={error} />
      {data && data.items.length === 0 ? <p>No statuses on this {sha ? 'commit' : 'repository'}.</p> : null}
      {data?.items.length ? <Table rows={data.items} columns={COLUMNS} rowKey={(s) => `${s.namespace}/${s.name}`} labelledBy="statuses-title" /> : null}
    </section>
  );
}
