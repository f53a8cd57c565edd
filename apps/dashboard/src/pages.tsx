// The dashboard's pages: configs, one config (its deploys and history, pin/unpin, re-apply, a diff
// of two deploys' manifests), one deploy (its steps, its log, a link to its commit's statuses) and
// the event log (admin). Each polls the API every 2 s while open.
import { useMemo, useState } from 'react';
import { api, commitOf, configPath, short, usePoll, when, type Config, type Deploy, type HistoryEntry, type Step } from './api';
import { useDeployLog } from './deploy-log';
import { ConfirmDialog, ErrorMessage, Phase, Table, type Column, type Confirmation } from './components';
import { ManifestsDiff } from './manifests-diff';
import { commitStatusesUrl, configUrl, deployUrl, Link, navigate } from './router';

export function ConfigsPage() {
  const { data, error } = usePoll((signal) => api<{ configs: Config[] }>('/api/configs', { signal }), []);
  const [team, setTeam] = useState('');
  const [search, setSearch] = useState('');
  const configs = data?.configs ?? [];
  const teams = useMemo(() => [...new Set(configs.map((c) => c.team))].sort(), [configs]);
  const needle = search.trim().toLowerCase();
  const shown = configs.filter((c) => (!team || c.team === team) && (!needle || [c.name, c.namespace, c.team, c.configRepo].some((v) => v.toLowerCase().includes(needle))));
  return (
    <section aria-labelledby="configs-title">
      <h1 id="configs-title">Configs</h1>
      <div className="filters">
        <label>
          Team
          <select value={team} onChange={(e) => setTeam(e.target.value)}>
            <option value="">All teams</option>
            {teams.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <label>
          Search
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="name, namespace, team" />
        </label>
      </div>
      <ErrorMessage error={error} />
      {data && shown.length === 0 ? <p>No configs{configs.length ? ' match' : ' visible to this token'}.</p> : null}
      {shown.length ? <Table rows={shown} columns={CONFIG_COLUMNS} rowKey={(c) => c.name} labelledBy="configs-title" /> : null}
    </section>
  );
}

const CONFIG_COLUMNS: readonly Column<Config>[] = [
  { label: 'Name', cell: (c) => <Link to={configUrl(c.name)}>{c.name}</Link> },
  { label: 'Team', cell: (c) => c.team },
  { label: 'Namespace', cell: (c) => c.namespace },
  { label: 'Phase', cell: (c) => <Phase phase={c.phase} /> },
  { label: 'Current', cell: (c) => <code>{short(c.current.artifactSha)}</code> },
  { label: 'Pinned', cell: (c) => (c.pin ? `yes (${c.pin.by})` : 'no') },
  { label: 'Autodeploy', cell: (c) => (c.autodeploy ? `on (${c.track.branch})` : 'off') },
];

const newestFirst = (a: Deploy, b: Deploy): number => (b.timestamps.requestedAt ?? b.timestamps.queuedAt ?? '').localeCompare(a.timestamps.requestedAt ?? a.timestamps.queuedAt ?? '');

export function ConfigPage({ name }: { name: string }) {
  const path = configPath(name);
  const poll = usePoll(
    async (signal) => {
      const [config, deploys, history] = await Promise.all([
        api<Config>(path, { signal }),
        api<{ deploys: Deploy[] }>(`${path}/deploys?limit=20`, { signal }),
        api<{ history: HistoryEntry[] }>(`${path}/history?limit=50`, { signal }),
      ]);
      return { config, deploys: [...deploys.deploys].sort(newestFirst), history: [...history.history].sort((a, b) => b.streamVersion - a.streamVersion) };
    },
    [path],
  );
  const [confirmation, setConfirmation] = useState<Confirmation | null>(null);
  const config = poll.data?.config;
  const command = (target: string) => async (reason: string) => {
    await api(target, { method: 'POST', body: { reason } });
    poll.refresh();
  };
  const pinOrUnpin = (): void => {
    if (!config) return;
    const pinned = config.pin !== null;
    setConfirmation({
      title: pinned ? `Unpin ${config.name}?` : `Pin ${config.name}?`,
      description: pinned ? 'Autodeploy resumes deploying new builds of the tracked branch.' : 'Autodeploy stops deploying new builds until the config is unpinned.',
      confirmLabel: pinned ? 'Unpin' : 'Pin',
      run: command(`${path}/${pinned ? 'unpin' : 'pin'}`),
    });
  };
  const deploy = (): void => {
    if (!config) return;
    const artifact = config.artifact;
    setConfirmation({
      title: `Deploy ${config.name}?`,
      description: artifact
        ? `A deploy of an artifact commit of ${artifact.repo} with a commit of ${config.configRepo}; it pins ${config.name}.`
        : `A deploy of a commit of ${config.configRepo} (the config has no artifact); it pins ${config.name}.`,
      confirmLabel: 'Deploy',
      fields: [
        ...(artifact ? [{ name: 'artifact', label: 'Artifact commit', initial: config.track.branch, hint: `a full SHA, or a branch of ${artifact.repo} (its head)` }] : []),
        { name: 'config', label: 'Config commit', initial: config.current.configSha ?? config.rootSha ?? '', hint: `a full SHA, or a branch of ${config.configRepo} (its head)` },
      ],
      run: async (reason, values) => {
        const artifactSha = artifact ? await commitOf(artifact.repo, values['artifact'] ?? '', 'Artifact commit') : null;
        const configSha = await commitOf(config.configRepo, values['config'] ?? '', 'Config commit');
        const { deployId } = await api<{ deployId: string }>('/api/deploys', { method: 'POST', body: { config: config.name, artifactSha, configSha, reason } });
        poll.refresh();
        navigate(deployUrl(deployId));
      },
    });
  };
  const undeploy = (): void => {
    if (!config) return;
    setConfirmation({
      title: `Undeploy ${config.name}?`,
      description: `Its objects are removed from ${config.namespace}: the config stays, with nothing in the cluster.`,
      confirmLabel: 'Undeploy',
      run: async (reason) => {
        const { deployId } = await api<{ deployId: string }>(`${path}/undeploy`, { method: 'POST', body: { reason } });
        poll.refresh();
        navigate(deployUrl(deployId));
      },
    });
  };
  const reapply = (d: Deploy): void =>
    setConfirmation({
      title: `Re-apply ${d.imageTag ?? d.id}?`,
      description: `A new deploy of artifact ${short(d.artifactSha)} with config ${short(d.configSha)}; it pins ${name}.`,
      confirmLabel: 'Re-apply',
      run: async (reason) => {
        const { deployId } = await api<{ deployId: string }>(`/api/deploys/${encodeURIComponent(d.id)}/reapply`, { method: 'POST', body: { reason } });
        poll.refresh();
        navigate(deployUrl(deployId));
      },
    });
  const deployColumns: readonly Column<Deploy>[] = [
    { label: 'Deploy', cell: (d) => <Link to={deployUrl(d.id)}>{d.id}</Link> },
    { label: 'Image tag', cell: (d) => <code>{d.imageTag ?? (d.kind === 'undeploy' ? 'undeploy' : short(d.artifactSha))}</code> },
    { label: 'Phase', cell: (d) => <Phase phase={d.phase} /> },
    { label: 'Requested', cell: (d) => when(d.timestamps.requestedAt ?? d.timestamps.queuedAt) },
    { label: 'By / why', cell: (d) => `${d.requestedBy} (${d.cause})${d.reason ? `: ${d.reason}` : ''}` },
    {
      label: 'Actions',
      cell: (d) => (
        <button type="button" aria-label={`Re-apply ${d.imageTag ?? d.id}`} onClick={() => reapply(d)}>
          Re-apply
        </button>
      ),
    },
  ];
  return (
    <section aria-labelledby="config-title">
      <p>
        <Link to="/">← Configs</Link>
      </p>
      <h1 id="config-title">{name}</h1>
      <ErrorMessage error={poll.error} />
      {config ? (
        <>
          <dl className="facts">
            <dt>Team</dt>
            <dd>{config.team}</dd>
            <dt>Namespace</dt>
            <dd>{config.namespace}</dd>
            <dt>Phase</dt>
            <dd>
              <Phase phase={config.phase} />
            </dd>
            <dt>Current</dt>
            <dd>
              artifact <code>{short(config.current.artifactSha)}</code>, config <code>{short(config.current.configSha)}</code>
            </dd>
            <dt>Artifact</dt>
            <dd>{config.artifact ? `${config.artifact.repo} → ${config.artifact.image}` : 'none'}</dd>
            <dt>Autodeploy</dt>
            <dd>{config.autodeploy ? `on, tracking ${config.track.branch}` : 'off'}</dd>
            <dt>Pin</dt>
            <dd data-testid="pin">{config.pin ? `pinned by ${config.pin.by} at ${when(config.pin.at)}: ${config.pin.reason || '(no reason)'}` : 'not pinned'}</dd>
          </dl>
          <div className="actions">
            <button type="button" onClick={deploy}>
              Deploy…
            </button>
            <button type="button" onClick={pinOrUnpin}>
              {config.pin ? 'Unpin' : 'Pin'}
            </button>
            <button type="button" onClick={undeploy}>
              Undeploy…
            </button>
          </div>
        </>
      ) : null}
      {poll.data ? (
        <>
          <h2 id="deploys-title">Deploys</h2>
          <Table rows={poll.data.deploys} columns={deployColumns} rowKey={(d) => d.id} rowData={(d) => ({ 'data-deploy': d.id })} labelledBy="deploys-title" />
          {poll.data.deploys.length > 1 ? <ManifestsDiff deploys={poll.data.deploys} /> : null}
          <h2 id="history-title">History</h2>
          <ol className="history" aria-labelledby="history-title">
            {poll.data.history.map((h) => (
              <li key={h.eventId}>
                <time dateTime={h.occurredAt}>{when(h.occurredAt)}</time> <strong>{h.type}</strong>
                {h.deployId ? (
                  <>
                    {' '}
                    <Link to={deployUrl(h.deployId)}>{h.deployId}</Link>
                  </>
                ) : null}
                {h.actor ? <> by {h.actor}</> : null}
                {h.reason ? <>: {h.reason}</> : null}
                {h.message ? <div className="message">{h.message}</div> : null}
              </li>
            ))}
          </ol>
        </>
      ) : null}
      <ConfirmDialog confirmation={confirmation} onClose={() => setConfirmation(null)} />
    </section>
  );
}

function DeployLog({ id }: { id: string }) {
  const log = useDeployLog(id);
  return (
    <>
      <h2 id="log-title">Log{log.ended ? '' : ' (live)'}</h2>
      <ErrorMessage error={log.error} />
      <pre className="log" aria-labelledby="log-title" aria-live="polite" tabIndex={0}>
        {log.lines.join('\n')}
      </pre>
    </>
  );
}

const STEP_COLUMNS: readonly Column<Step>[] = [
  { label: 'Step', cell: (s) => s.name },
  { label: 'State', cell: (s) => <span className={`state state-${s.state}`}>{s.state}</span> },
  { label: 'Result', cell: (s) => (s.error ? <span className="error">{`${s.error.reason}: ${s.error.message}`}</span> : (s.result ?? '')) },
  { label: 'Started', cell: (s) => when(s.startedAt) },
  { label: 'Ended', cell: (s) => when(s.endedAt) },
];

export function DeployPage({ id }: { id: string }) {
  const { data, error } = usePoll(
    async (signal) => {
      const deploy = await api<Deploy>(`/api/deploys/${encodeURIComponent(id)}`, { signal });
      // For the link to its commit's statuses only: a config gone since must not hide the deploy.
      const config = await api<Config>(configPath(deploy.config), { signal }).catch(() => null);
      return { deploy, artifactRepo: config?.artifact?.repo ?? null };
    },
    [id],
  );
  const d = data?.deploy;
  return (
    <section aria-labelledby="deploy-title">
      {d ? (
        <p>
          <Link to={configUrl(d.config)}>← {d.config}</Link>
        </p>
      ) : null}
      <h1 id="deploy-title">Deploy {id}</h1>
      <ErrorMessage error={error} />
      {d ? (
        <>
          <dl className="facts">
            <dt>Phase</dt>
            <dd>
              <Phase phase={d.phase} />
            </dd>
            <dt>Image tag</dt>
            <dd>
              <code>{d.imageTag ?? '—'}</code>
            </dd>
            <dt>Artifact / config</dt>
            <dd>
              <code>{short(d.artifactSha)}</code> / <code>{short(d.configSha)}</code>
              {d.artifactSha && data.artifactRepo ? (
                <>
                  {' '}
                  (<Link to={commitStatusesUrl(data.artifactRepo, d.artifactSha)}>statuses of commit {short(d.artifactSha)}</Link>)
                </>
              ) : null}
            </dd>
            <dt>Requested</dt>
            <dd>
              {when(d.timestamps.requestedAt)} by {d.requestedBy} ({d.cause}){d.reason ? `: ${d.reason}` : ''}
            </dd>
            {d.reappliedFrom ? (
              <>
                <dt>Re-applied from</dt>
                <dd>
                  <Link to={deployUrl(d.reappliedFrom)}>{d.reappliedFrom}</Link>
                </dd>
              </>
            ) : null}
            {d.failure ? (
              <>
                <dt>Failure</dt>
                <dd className="error">
                  {d.failure.reason}: {d.failure.message}
                </dd>
              </>
            ) : null}
          </dl>
          <h2 id="steps-title">Steps</h2>
          <Table rows={d.steps} columns={STEP_COLUMNS} rowKey={(st) => st.name} rowData={(st) => ({ 'data-step': st.name })} labelledBy="steps-title" />
          <DeployLog id={id} />
        </>
      ) : null}
    </section>
  );
}

interface LoggedEvent {
  readonly id: string;
  readonly type: string;
  readonly stream: string;
  readonly occurredAt: string;
  readonly position: string;
  readonly data: unknown;
}

const EVENTS_KEPT = 500;

/** The config an event is about (its stream, or the `config` it names), and who asked for it. */
function configOf(e: LoggedEvent): string | null {
  const named = (e.data as { config?: unknown } | null)?.config;
  if (typeof named === 'string') return named;
  const stream = /^(?:config|applier)-(.+)$/.exec(e.stream);
  return stream ? stream[1]! : null;
}
function whoOf(e: LoggedEvent): string | null {
  const data = (e.data ?? {}) as { requestedBy?: unknown; by?: unknown };
  const who = data.requestedBy ?? data.by;
  return typeof who === 'string' ? who : null;
}

const EVENT_COLUMNS: readonly Column<LoggedEvent>[] = [
  { label: 'When', cell: (e) => when(e.occurredAt) },
  { label: 'Type', cell: (e) => e.type },
  { label: 'Stream', cell: (e) => e.stream },
  { label: 'Who', cell: (e) => whoOf(e) },
  { label: 'Data', cell: (e) => <code className="data">{JSON.stringify(e.data)}</code> },
];

export function EventsPage() {
  // The log is read forward from where the last poll ended (`next`); the newest are shown first.
  const [state, setState] = useState<{ after: string | null; events: LoggedEvent[] }>({ after: null, events: [] });
  const { error } = usePoll(
    async (signal) => {
      let { after, events } = state;
      for (;;) {
        const page = await api<{ events: LoggedEvent[]; next: string | null }>(`/api/events?limit=1000${after ? `&after=${encodeURIComponent(after)}` : ''}`, { signal });
        events = [...events, ...page.events].slice(-EVENTS_KEPT);
        after = page.next;
        if (page.events.length < 1000) break;
      }
      if (after !== state.after) setState({ after, events });
      return events.length;
    },
    [state],
  );
  const [filter, setFilter] = useState({ config: '', type: '', who: '' });
  const has = (value: string | null, wanted: string) => !wanted.trim() || (value ?? '').toLowerCase().includes(wanted.trim().toLowerCase());
  const shown = state.events.filter((e) => has(configOf(e), filter.config) && has(e.type, filter.type) && has(whoOf(e), filter.who)).reverse();
  const input = (key: keyof typeof filter, label: string, placeholder: string) => (
    <label>
      {label}
      <input type="search" value={filter[key]} onChange={(e) => setFilter({ ...filter, [key]: e.target.value })} placeholder={placeholder} />
    </label>
  );
  return (
    <section aria-labelledby="events-title">
      <h1 id="events-title">Event log</h1>
      <div className="filters">
        {input('config', 'Config', 'billing-api')}
        {input('type', 'Type', 'deploy.failed')}
        {input('who', 'Who', 'user:alice@example.com')}
      </div>
      <ErrorMessage error={error} />
      <Table rows={shown} columns={EVENT_COLUMNS} rowKey={(e) => e.id} labelledBy="events-title" />
    </section>
  );
}
