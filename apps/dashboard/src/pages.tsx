// The dashboard's pages: configs, one config (its deploys and history, pin/unpin, re-apply, a diff
// of two deploys' manifests), one deploy (its steps, its log, a link to its commit's statuses) and
// the event log (admin). Each polls the API every 2 s while open.
import { useMemo, useRef, useState } from 'react';
import { api, commitOf, configPath, short, usePoll, when, type Config, type Deploy, type HistoryEntry, type Step } from './api';
import { useDeployLog } from './deploy-log';
import { ConfirmDialog, ErrorMessage, Phase, Table, type Column, type Confirmation } from './components';
import { ManifestsDiff } from './manifests-diff';
import { commitStatusesUrl, configUrl, deployUrl, Link, navigate } from './router';

/** A deploy that will not change any more: fetched once for the configs page. */
const SETTLED = new Set(['succeeded', 'failed', 'superseded']);

/** A config with the deploys its row names: the one that made its current state, the one requested last (null: not readable). */
interface ConfigRow {
  readonly config: Config;
  readonly current: Deploy | null | undefined;
  readonly last: Deploy | null | undefined;
}

export function ConfigsPage() {
  // The list has each config's state pair and deploy ids; the image tag, health and who/when come
  // from those deploys (GET /api/deploys/{id}), each read again only while it is not settled.
  const deploys = useRef(new Map<string, Deploy | null>());
  const { data, error } = usePoll(async (signal) => {
    const { configs } = await api<{ configs: Config[] }>('/api/configs', { signal });
    const ids = [...new Set(configs.flatMap((c) => [c.current.deployId, c.lastDeployId]).filter((id): id is string => id !== null))];
    const stale = ids.filter((id) => {
      const known = deploys.current.get(id);
      return known === undefined || (known !== null && !SETTLED.has(known.phase));
    });
    await Promise.all(
      stale.map(async (id) => {
        try {
          deploys.current.set(id, await api<Deploy>(`/api/deploys/${encodeURIComponent(id)}`, { signal }));
        } catch (e) {
          if ((e as Error).name === 'AbortError') throw e;
          // Not readable (e.g. gone after a replay): the row shows what the list has.
          deploys.current.set(id, null);
        }
      }),
    );
    const of = (id: string | null) => (id === null ? null : deploys.current.get(id));
    return configs.map((config): ConfigRow => ({ config, current: of(config.current.deployId), last: of(config.lastDeployId) }));
  }, []);
  const [team, setTeam] = useState('');
  const [search, setSearch] = useState('');
  const rows = data ?? [];
  const teams = useMemo(() => [...new Set(rows.map((r) => r.config.team))].sort(), [rows]);
  const needle = search.trim().toLowerCase();
  const shown = rows.filter(({ config: c }) => (!team || c.team === team) && (!needle || [c.name, c.namespace, c.team, c.configRepo].some((v) => v.toLowerCase().includes(needle))));
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
      {data && shown.length === 0 ? <p>No configs{rows.length ? ' match' : ' visible to this token'}.</p> : null}
      {shown.length ? <Table rows={shown} columns={CONFIG_COLUMNS} rowKey={(r) => r.config.name} rowData={(r) => ({ 'data-config': r.config.name })} labelledBy="configs-title" /> : null}
    </section>
  );
}

/** The state pair (artifactSha, configSha) as two short SHAs, the full ones in the title. */
function StatePair({ config: c }: { config: Config }) {
  const { artifactSha, configSha } = c.current;
  if (c.current.deployId === null) return <>never deployed</>;
  if (artifactSha === null && configSha === null) return <>undeployed</>;
  return (
    <code title={`artifact ${artifactSha ?? 'none'}, config ${configSha ?? 'none'}`}>
      {short(artifactSha)} / {short(configSha)}
    </code>
  );
}

/** The image tag of the deployed artifact (`<branch>-<shortsha>`), the image reference in the title. */
function ImageTag({ row: { config: c, current } }: { row: ConfigRow }) {
  const tag = current?.imageTag;
  if (current === undefined && c.current.deployId !== null) return <>…</>;
  if (!tag) return <>—</>;
  return <code title={c.artifact ? `${c.artifact.image}:${tag}` : tag}>{tag}</code>;
}

/**
 * The health of what is deployed: the wait-healthy step of the deploy that made the current state
 * (kube-applier's verdict on the rollout), else that deploy's phase.
 */
function Health({ row: { config: c, current } }: { row: ConfigRow }) {
  if (c.current.deployId === null || (c.current.artifactSha === null && c.current.configSha === null)) return <>—</>;
  if (current === undefined) return <>…</>;
  if (current === null) return <>unknown</>;
  const step = current.steps.find((s) => s.name === 'wait-healthy');
  if (!step) return <Phase phase={current.phase} />;
  const [text, css] =
    step.state === 'done'
      ? [step.result ?? 'healthy', 'done']
      : step.state === 'failed'
        ? ['unhealthy', 'failed']
        : step.state === 'started'
          ? ['waiting for rollout', 'started']
          : step.state === 'skipped'
            ? ['not checked', 'skipped']
            : ['pending', 'pending'];
  return (
    <span className={`state state-${css}`} title={step.error ? `${step.error.reason}: ${step.error.message}` : undefined}>
      {text}
    </span>
  );
}

/** When a deploy reached its phase: its end for a settled one, else when it was requested. */
const settledAt = (d: Deploy): string | null =>
  d.timestamps.succeededAt ?? d.timestamps.undeployedAt ?? d.timestamps.failedAt ?? d.timestamps.supersededAt ?? d.timestamps.requestedAt ?? d.timestamps.queuedAt;

/** The deploy requested last: its outcome, when, by whom and what caused it. */
function LastDeploy({ row: { config: c, last } }: { row: ConfigRow }) {
  if (c.lastDeployId === null) return <>never deployed</>;
  if (!last) return <Phase phase={c.phase} />;
  const at = settledAt(last);
  return (
    <span>
      <Phase phase={last.phase} />{' '}
      <time dateTime={at ?? undefined}>{when(at)}</time> by {last.requestedBy} ({last.cause})
    </span>
  );
}

const CONFIG_COLUMNS: readonly Column<ConfigRow>[] = [
  { label: 'Name', cell: ({ config: c }) => <Link to={configUrl(c.name)}>{c.name}</Link> },
  { label: 'Team', cell: ({ config: c }) => c.team },
  { label: 'Namespace', cell: ({ config: c }) => c.namespace },
  { label: 'State (artifact / config)', cell: ({ config: c }) => <StatePair config={c} /> },
  { label: 'Image tag', cell: (r) => <ImageTag row={r} /> },
  { label: 'Health', cell: (r) => <Health row={r} /> },
  { label: 'Pinned', cell: ({ config: c }) => (c.pin ? `yes (${c.pin.by})` : 'no') },
  { label: 'Last deploy', cell: (r) => <LastDeploy row={r} /> },
  { label: 'Autodeploy', cell: ({ config: c }) => (c.autodeploy ? `on (${c.track.branch})` : 'off') },
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
