// The Sluice dashboard (issue #21): sign in with a token (admin or team), then the configs, a
// config's deploys and history (and a diff of two deploys' manifests), a deploy's steps, a
// commit's statuses and the event log, all following Sluice live.
import { StrictMode, useState, type FormEvent } from 'react';
import { createRoot } from 'react-dom/client';
import { api, asApiError, type ApiError, tokenStore } from './api';
import { CommitStatusesPage } from './commit-statuses';
import { ErrorMessage } from './components';
import { ConfigPage, ConfigsPage, DeployPage, EventsPage } from './pages';
import { Link, useRoute } from './router';
import './styles.css';

function SignIn({ onSignedIn }: { onSignedIn: (token: string) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
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

function App() {
  const [token, setToken] = useState(tokenStore.get());
  if (!token)
    return (
      <SignIn
        onSignedIn={(t) => {
          tokenStore.set(t);
          setToken(t);
        }}
      />
    );
  return (
    <>
      <header>
        <nav aria-label="Main">
          <Link to="/" className="brand">
            Sluice
          </Link>
          <Link to="/">Configs</Link>
          <Link to="/commit-statuses">Commit statuses</Link>
          <Link to="/events">Event log</Link>
        </nav>
        <button
          type="button"
          onClick={() => {
            tokenStore.clear();
            setToken(null);
          }}
        >
          Sign out
        </button>
      </header>
      <main>
        <Page />
      </main>
    </>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
