// The DORA page (`/dora?days=&team=&config=`): deployment frequency, lead time for changes, change
// failure rate and time to restore from GET /api/metrics/dora over the last 7, 30 or 90 days, for
// a team or a config (a team token measures its own team), as figures and as recharts charts of
// the answer's `daily` series, each with its data as a table too. Polls like the other pages.
import { useMemo, type ReactNode } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { api, usePoll, when, type Config } from './api';
import { ErrorMessage, Table, type Column } from './components';
import { dayLabel, formatDuration, formatPerDay, formatRate, plural, WINDOW_DAYS, windowOf } from './dora-format';
import { doraUrl, navigate } from './router';
import type { DoraDay, DoraMetrics } from '../../../libs/dora/src/domain/dora';

/** The answer of GET /api/metrics/dora; its measures are typed where they are computed (a type-only import: nothing of libs/dora is bundled). */
export type Dora = { readonly config: string | null; readonly team: string | null } & DoraMetrics;

export const doraPath = (q: { from: string; to: string; team: string; config: string }): string =>
  `/api/metrics/dora?${new URLSearchParams(Object.entries(q).filter(([, v]) => v !== '')).toString()}`;

const POLL_MS = 5000;
const SUCCEEDED = '#1a7f37';
const FAILED = '#cf222e';
const LEAD = '#0969da';

/** One of the four measures: its value (raw in data-value, for tests and tools) and what it is made of. */
function Figure({ id, title, value, raw, children }: { id: string; title: string; value: string; raw: unknown; children: ReactNode }) {
  return (
    <div className="figure">
      <dt id={`${id}-title`}>{title}</dt>
      <dd className="value" data-testid={id} data-value={JSON.stringify(raw)}>
        {value}
      </dd>
      <dd className="hint">{children}</dd>
    </div>
  );
}

/** A chart with a caption and its data as a table (the charts' text alternative). */
function Chart({ id, title, summary, rows, columns, children }: { id: string; title: string; summary: string; rows: readonly DoraDay[]; columns: readonly Column<DoraDay>[]; children: ReactNode }) {
  return (
    <figure className="chart" aria-labelledby={`${id}-title`} aria-describedby={`${id}-summary`} data-testid={id}>
      <figcaption>
        <h2 id={`${id}-title`}>{title}</h2>
        <p id={`${id}-summary`} className="hint">
          {summary}
        </p>
      </figcaption>
      <div className="chart-area">
        <ResponsiveContainer width="100%" height={240}>
          {children}
        </ResponsiveContainer>
      </div>
      <details>
        <summary>{title} as a table</summary>
        <Table rows={rows} columns={columns} rowKey={(d) => d.from} labelledBy={`${id}-title`} />
      </details>
    </figure>
  );
}

const DEPLOY_COLUMNS: readonly Column<DoraDay>[] = [
  { label: 'Day (UTC)', cell: (d) => dayLabel(d.from) },
  { label: 'Succeeded', cell: (d) => d.succeeded },
  { label: 'Failed', cell: (d) => d.failed },
];
const LEAD_COLUMNS: readonly Column<DoraDay>[] = [
  { label: 'Day (UTC)', cell: (d) => dayLabel(d.from) },
  { label: 'Median lead time', cell: (d) => formatDuration(d.leadTimeP50) },
  { label: 'Succeeded', cell: (d) => d.succeeded },
];

export function DoraPage({ days, team, config }: { days: number; team: string; config: string }) {
  const poll = usePoll(
    async (signal) => {
      const [dora, configs] = await Promise.all([
        api<Dora>(doraPath({ ...windowOf(days, new Date()), team, config }), { signal }),
        api<{ configs: Config[] }>('/api/configs', { signal }),
      ]);
      return { dora, configs: configs.configs };
    },
    [days, team, config],
    POLL_MS,
  );
  const configs = poll.data?.configs ?? [];
  const teams = useMemo(() => [...new Set(configs.map((c) => c.team))].sort(), [configs]);
  const names = configs.filter((c) => !team || c.team === team).map((c) => c.name).sort();
  const go = (change: Partial<{ days: number; team: string; config: string }>): void => navigate(doraUrl({ days, team, config, ...change }));
  const dora = poll.data?.dora;
  const chartDays = useMemo(() => (dora?.daily ?? []).map((d) => ({ ...d, day: dayLabel(d.from) })), [dora]);
  return (
    <section aria-labelledby="dora-title">
      <h1 id="dora-title">Delivery metrics (DORA)</h1>
      <div className="filters">
        <label>
          Window
          <select value={days} onChange={(e) => go({ days: Number(e.target.value) })}>
            {WINDOW_DAYS.map((d) => (
              <option key={d} value={d}>
                Last {d} days
              </option>
            ))}
          </select>
        </label>
        <label>
          Team
          <select value={team} onChange={(e) => go({ team: e.target.value, config: '' })}>
            <option value="">All teams</option>
            {/* A team the URL names but no visible config has: kept, so the API's answer (a 403) shows. */}
            {[...new Set([...teams, ...(team ? [team] : [])])].map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <label>
          Config
          <select value={config} onChange={(e) => go({ config: e.target.value })}>
            <option value="">All configs</option>
            {[...new Set([...names, ...(config ? [config] : [])])].map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
      </div>
      <ErrorMessage error={poll.error} />
      {dora ? (
        <>
          <p data-testid="dora-scope">
            {dora.config ? `Config ${dora.config}` : dora.team ? `Team ${dora.team}` : 'All teams'}, from <time dateTime={dora.window.from}>{when(dora.window.from)}</time> to{' '}
            <time dateTime={dora.window.to}>{when(dora.window.to)}</time> ({dora.window.days} days).
          </p>
          <dl className="figures" aria-label="The four measures">
            <Figure id="dora-frequency" title="Deployment frequency" value={formatPerDay(dora.deployments.perDay)} raw={dora.deployments.perDay}>
              {plural(dora.deployments.succeeded, 'deploy')} succeeded, {dora.deployments.failed} failed
            </Figure>
            <Figure id="dora-lead-time" title="Lead time for changes" value={formatDuration(dora.leadTimeSeconds.p50)} raw={dora.leadTimeSeconds.p50}>
              median commit → applied; 90th percentile {formatDuration(dora.leadTimeSeconds.p90)}, of {plural(dora.leadTimeSeconds.samples, 'deploy')}
            </Figure>
            <Figure id="dora-failure-rate" title="Change failure rate" value={formatRate(dora.changeFailureRate)} raw={dora.changeFailureRate}>
              {dora.deployments.failed} failed and {dora.deployments.rolledBack} rolled back of {plural(dora.deployments.succeeded + dora.deployments.failed, 'deploy')} that ended
            </Figure>
            <Figure id="dora-restore" title="Time to restore" value={formatDuration(dora.timeToRestoreSeconds.p50)} raw={dora.timeToRestoreSeconds.p50}>
              median failure → next good deploy, of {plural(dora.timeToRestoreSeconds.samples, 'restore')}; {dora.timeToRestoreSeconds.unrestored} not restored yet
            </Figure>
          </dl>
          <div className="charts">
            <Chart id="dora-deploys-chart" title="Deploys per day" summary={`${dora.deployments.succeeded} succeeded and ${dora.deployments.failed} failed over ${plural(dora.daily.length, 'day')} (UTC).`} rows={dora.daily} columns={DEPLOY_COLUMNS}>
              <BarChart data={chartDays} title="Deploys per day" margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="day" minTickGap={12} />
                <YAxis allowDecimals={false} />
                <Tooltip />
                <Legend />
                <Bar dataKey="succeeded" name="Succeeded" stackId="deploys" fill={SUCCEEDED} isAnimationActive={false} />
                <Bar dataKey="failed" name="Failed" stackId="deploys" fill={FAILED} isAnimationActive={false} />
              </BarChart>
            </Chart>
            <Chart
              id="dora-lead-time-chart"
              title="Lead time per day"
              summary={`The median commit → applied of each day’s succeeded deploys; over the window ${formatDuration(dora.leadTimeSeconds.p50)} (median), ${formatDuration(dora.leadTimeSeconds.p90)} (90th percentile).`}
              rows={dora.daily}
              columns={LEAD_COLUMNS}
            >
              <LineChart data={chartDays} title="Lead time per day" margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="day" minTickGap={12} />
                <YAxis allowDecimals={false} tickFormatter={(s: number) => formatDuration(s)} width={56} />
                <Tooltip formatter={(s) => formatDuration(typeof s === 'number' ? s : null)} />
                <Legend />
                <Line dataKey="leadTimeP50" name="Median lead time" stroke={LEAD} strokeWidth={2} dot={{ r: 3 }} connectNulls isAnimationActive={false} />
              </LineChart>
            </Chart>
          </div>
        </>
      ) : null}
    </section>
  );
}
