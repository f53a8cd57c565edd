// The Sluice dashboard (issue #21): sign in with a token (admin or team) or with the OpenID Connect
// provider Sluice names (oidc.ts), then the configs, a
// config's deploys and history (and a diff of two deploys' manifests), a deploy's steps, a
// commit's statuses, the DORA measures and the event log, all following Sluice live.
import { StrictMode, useEffect, useState, type FormEvent } from 'react';
import { createRoot } from 'react-dom/client';
import { api, ApiError, asApiError, onTeamChoice, onUnauthorized, teamStore, tokenStore } from './api';
import { CommitStatusesPage } from './commit-statuses';
import { ErrorMessage } from './components';
import { DoraPage } from './dora';
import { ConfigPage, ConfigsPage, DeployPage, EventsPage } from './pages';
import { CALLBACK_PATH, finishOidcSignIn, identityOf, issuerHost, startOidcSignIn, type OidcSettings } from './oidc';
import { Link, useRoute } from './router';
import './styles.css';

/** The provider to offer (GET /api/auth/oidc), or null when Sluice names none. */
function useOidcSettings(): OidcSettings | null {
  const [settings, setSettings] = useState<OidcSettings | null>(null);
  useEffect(() => {
    api<{ oidc: OidcSettings | null }>('/api/auth/oidc', { token: '' })
      .then((answer) => setSettings(answer.oidc))
      .catch(() => setSettings(null)); // the token form still works
  }, []);
  return settings;
}

function SignIn({ onSignedIn, notice }: { onSignedIn: (token: string) => void; notice?: ApiError | undefined }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<ApiError | undefined>(notice);
  const [busy, setBusy] = useState(false);
  const oidc = useOidcSettings();
  const withProvider = async (settings: OidcSettings): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await startOidcSignIn(settings); // leaves the page
    } catch (err) {
      setError(asApiError(err));
      setBusy(false);
    }
  };
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      // Any read checks the token: 401 if Sluice does not know it.
      await api('/api/configs', { token: token.trim() });
      onSignedIn(token.trim());
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="sign-in">
      <h1>Sluice</h1>
      {oidc ? (
        <p>
          <button type="button" className="primary" disabled={busy} onClick={() => void withProvider(oidc)}>
            Sign in with {issuerHost(oidc.issuer)}
          </button>
        </p>
      ) : null}
      <form onSubmit={(e) => void submit(e)}>
        <label htmlFor="token">Token</label>
        <input id="token" type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} required autoFocus />
        <p className="hint">The admin token (in the data directory, file admin-token) or a team token from `sluice tokens create`.</p>
        <ErrorMessage error={error} />
        <button type="submit" className="primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}

function Page() {
  const route = useRoute();
  switch (route.page) {
    case 'configs':
      return <ConfigsPage />;
    case 'config':
      return <ConfigPage key={route.name} name={route.name} />;
    case 'deploy':
      return <DeployPage key={route.id} id={route.id} />;
    case 'events':
      return <EventsPage />;
    case 'dora':
      return <DoraPage days={route.days} team={route.team} config={route.config} />;
    case 'commit-statuses':
      return <CommitStatusesPage key={`${route.repo}@${route.sha}`} repo={route.repo} sha={route.sha} />;
    case 'not-found':
      return (
        <section>
          <h1>Not found</h1>
          <p>
            The dashboard has no page {route.path}. <Link to="/">Configs</Link>
          </p>
        </section>
      );
  }
}

// The code and the verifier can be used once only: one exchange per page load, whatever renders it.
let exchange: Promise<string> | undefined;

/** Where the provider sends the browser back: the code exchanged for the ID token, then the configs. */
function Callback({ onSignedIn }: { onSignedIn: (token: string) => void }) {
  const [error, setError] = useState<ApiError>();
  useEffect(() => {
    let current = true;
    exchange ??= finishOidcSignIn(new URL(window.location.href));
    exchange
      .then((idToken) => {
        if (!current) return;
        window.history.replaceState(null, '', '/');
        onSignedIn(idToken);
      })
      .catch((err: unknown) => current && setError(asApiError(err)));
    return () => {
      current = false;
    };
  }, []);
  return (
    <main className="sign-in">
      <h1>Sluice</h1>
      {error ? (
        <>
          <ErrorMessage error={error} />
          <p>
            <a href="/">Back to sign-in</a>
          </p>
        </>
      ) : (
        <p>Signing in…</p>
      )}
    </main>
  );
}

const expiredNotice = (who: string, refusal?: ApiError): ApiError =>
  new ApiError(401, { code: 'signed_out', message: `The sign-in of ${who} has expired: sign in again.${refusal ? ` (Sluice: ${refusal.message})` : ''}` });

/**
 * A person in several teams acts for one at a time (`X-Sluice-Team`): offered when the API asks
 * (403 `team_required`, with the person's teams), kept for the session, changeable in the header.
 */
function TeamChoice({ teams, team, onChoose }: { teams: readonly string[]; team: string | null; onChoose: (team: string) => void }) {
  return (
    <label className="team-choice">
      Act for team{' '}
      <select value={team ?? ''} onChange={(e) => e.target.value && onChoose(e.target.value)}>
        {team ? null : <option value="">Choose…</option>}
        {teams.map((t) => (
          <option key={t} value={t}>
            {t}
          </option>
        ))}
      </select>
    </label>
  );
}

function App() {
  const [token, setToken] = useState(tokenStore.get());
  const [notice, setNotice] = useState<ApiError>();
  const [teams, setTeams] = useState<readonly string[]>([]);
  const [team, setTeam] = useState(teamStore.get());
  useEffect(() => onTeamChoice((offered) => setTeams(offered)), []);
  const chooseTeam = (chosen: string): void => {
    teamStore.set(chosen);
    setTeam(chosen);
  };
  const identity = token ? identityOf(token) : null;
  const signOut = (why?: ApiError): void => {
    tokenStore.clear();
    setTeams([]);
    setTeam(null);
    setNotice(why);
    setToken(null);
  };
  // A person's ID token ends: back to sign-in, saying so, when it expires or when the API refuses it.
  useEffect(() => {
    if (!identity) return;
    const unsubscribe = onUnauthorized((refusal) => signOut(expiredNotice(identity.who, refusal)));
    const left = identity.expiresAt === null ? null : identity.expiresAt - Date.now();
    const timer = left === null ? undefined : setTimeout(() => signOut(expiredNotice(identity.who)), Math.max(0, Math.min(left, 2 ** 31 - 1)));
    return () => {
      unsubscribe();
      clearTimeout(timer);
    };
  }, [token]);
  const signIn = (t: string): void => {
    tokenStore.set(t);
    setNotice(undefined);
    setToken(t);
  };
  if (window.location.pathname === CALLBACK_PATH) return <Callback onSignedIn={signIn} />;
  if (!token) return <SignIn key={notice?.message ?? ''} notice={notice} onSignedIn={signIn} />;
  return (
    <>
      <header>
        <nav aria-label="Main">
          <Link to="/" className="brand">
            Sluice
          </Link>
          <Link to="/">Configs</Link>
          <Link to="/commit-statuses">Commit statuses</Link>
          <Link to="/dora">Delivery metrics</Link>
          <Link to="/events">Event log</Link>
        </nav>
        {teams.length > 1 ? <TeamChoice teams={teams} team={team} onChoose={chooseTeam} /> : null}
        <span className="signed-in" data-testid="signed-in">
          {identity ? `Signed in as ${identity.who} (${issuerHost(identity.issuer)})` : 'Signed in with a token'}
        </span>
        <button type="button" onClick={() => signOut()}>
          Sign out
        </button>
      </header>
      <main>
        {teams.length > 1 && !team ? (
          <p role="status" className="notice">
            You are a member of teams {teams.join(', ')}: choose the team to act for (above).
          </p>
        ) : null}
        {/* Keyed by the team: its pages load again, as that team, when it changes. */}
        <Page key={team ?? ''} />
      </main>
    </>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
