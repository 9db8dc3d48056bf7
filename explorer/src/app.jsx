// The explorer page: a sign-in bar (token, or the development role
// switcher), then GraphiQL with the saved operations and the query-builder
// Explorer, "Download CSV" in the toolbar and a result summary under the
// response.
import { explorerPlugin } from '@graphiql/plugin-explorer';
import { usePluginStore } from '@graphiql/react';
import { GraphiQL } from 'graphiql';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { loadCatalog } from './catalog.js';
import { createFetcher } from './fetcher.js';
import { ResultSummary } from './result-summary.jsx';
import { savedOperationsPlugin } from './saved-operations.jsx';
import {
  checkToken,
  fetchDevToken,
  isExpired,
  loadRole,
  loadSession,
  saveRole,
  saveSession,
  sessionFromToken,
} from './session.js';
import { CsvButton } from './toolbar.jsx';

const PLUGINS = [savedOperationsPlugin, explorerPlugin({ showAttribution: false })];

const WELCOME = `# Welcome to the OpsGraph explorer.
#
# Saved operations (the document icon on the left) holds
# ready-made reports and look-ups: open one, adjust its
# variables, run it (Ctrl-Enter or the play button) and
# save it as CSV with the download button in the toolbar.
#
# Or write a query here: Ctrl-Space completes fields, the
# Explorer pane builds one by pointing and clicking, and
# Docs describes every type and field.

query Accounts {
  accounts(first: 10, orderBy: [{field: NAME}]) {
    totalCount
    edges {
      node {
        name
        segment
        lifecycleStage
        owner {
          name
        }
        health {
          band
          score
        }
      }
    }
  }
}
`;

// ShowSavedOperations opens the Saved operations pane once per page load.
// (GraphiQL's visiblePlugin prop selects a plugin without showing its
// pane, so this presses the sidebar button like a person would.)
let savedOperationsShown = false;
function ShowSavedOperations() {
  const ready = usePluginStore((s) => s.plugins.includes(savedOperationsPlugin));
  const visible = usePluginStore((s) => s.visiblePlugin);
  useEffect(() => {
    if (!ready || savedOperationsShown) return;
    savedOperationsShown = true;
    if (visible) return;
    document.querySelector(`.graphiql-sidebar button[aria-label="Show ${savedOperationsPlugin.title}"]`)?.click();
  }, [ready, visible]);
  return null;
}

function formatTime(ms) {
  if (ms == null) return 'no expiry';
  const d = new Date(ms);
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : d.toLocaleString();
}

function SignIn({ dev, reason, onSignIn, onDevRole, onCancel }) {
  const [text, setText] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const preview = useMemo(() => (text.trim() ? sessionFromToken(text, 'pasted') : null), [text]);

  const submit = async (e) => {
    e.preventDefault();
    const s = sessionFromToken(text, 'pasted');
    if (!s) {
      setError('That is not a JWT: paste the whole token, three parts separated by dots.');
      return;
    }
    if (isExpired(s)) {
      setError(`This token expired at ${new Date(s.expiresAt).toLocaleString()}.`);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const refused = await checkToken(s.token);
      if (refused) {
        setError(`The server refused this token: ${refused}`);
        return;
      }
      onSignIn(s);
    } catch (err) {
      setError(`Could not reach the server: ${err.message}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="og-signin-backdrop">
      <form className="og-signin" onSubmit={submit} aria-labelledby="og-signin-title">
        <h1 id="og-signin-title">Sign in to the OpsGraph explorer</h1>
        {reason && <p className="og-signin-reason">{reason}</p>}
        <label htmlFor="og-token-input">Paste your access token (JWT)</label>
        <textarea
          id="og-token-input"
          rows={4}
          spellCheck={false}
          autoComplete="off"
          placeholder="eyJhbGciOi…"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        {preview && (
          <p className="og-signin-preview">
            For <strong>{preview.subject}</strong>, roles {preview.roles.join(', ') || '(none)'}, valid until{' '}
            {formatTime(preview.expiresAt)}.
          </p>
        )}
        {error && (
          <p className="og-signin-error" role="alert">
            {error}
          </p>
        )}
        <p className="og-signin-note">
          The token stays in this browser tab only (session storage) and is sent as <code>Authorization: Bearer …</code>{' '}
          with every request. Tokens come from your identity provider, or from an administrator:{' '}
          <code>opsgraph token --subject you@example.com --role OPS_ANALYST</code>.
        </p>
        <div className="og-signin-actions">
          <button type="submit" id="og-sign-in" className="og-primary" disabled={busy || !text.trim()}>
            {busy ? 'Checking…' : 'Sign in'}
          </button>
          {onCancel && (
            <button type="button" onClick={onCancel}>
              Cancel
            </button>
          )}
        </div>
        {dev.available && (
          <div className="og-signin-dev">
            <p>
              Development server: sign in as the demo user of a role instead (tokens minted by this server, valid one
              hour).
            </p>
            <div className="og-signin-roles">
              {dev.roles.map((r) => (
                <button type="button" key={r.role} data-role={r.role} onClick={() => onDevRole(r.role)} title={r.subject}>
                  {r.role}
                </button>
              ))}
            </div>
          </div>
        )}
      </form>
    </div>
  );
}

function Header({ session, dev, role, onRole, onUseToken, onSignOut }) {
  return (
    <header className="og-header">
      <span className="og-brand">OpsGraph explorer</span>
      {dev.available && (
        <span className="og-dev-badge" title="The embedded development server: SQLite, a generated secret, bound to this machine">
          development server
        </span>
      )}
      <span className="og-spacer" />
      {session && (
        <span className="og-identity" data-testid="identity" title={session.source === 'pasted' ? 'Signed in with a pasted token' : 'Signed in with a development token'}>
          <strong>{session.subject}</strong>
          {session.roles.length > 0 && <> · {session.roles.join(', ')}</>} · until {formatTime(session.expiresAt)}
        </span>
      )}
      {dev.available && (
        <label className="og-role">
          Role
          <select id="og-role" value={session?.source === 'dev' ? session.role || role : ''} onChange={(e) => onRole(e.target.value)}>
            {session?.source !== 'dev' && <option value="">(pasted token)</option>}
            {dev.roles.map((r) => (
              <option key={r.role} value={r.role} title={r.subject}>
                {r.role}
              </option>
            ))}
          </select>
        </label>
      )}
      <button type="button" className="og-header-button" onClick={onUseToken} id="og-use-token">
        {session ? 'Paste a token' : 'Sign in'}
      </button>
      {session && (
        <button type="button" className="og-header-button" onClick={onSignOut} id="og-sign-out">
          Sign out
        </button>
      )}
    </header>
  );
}

export function App() {
  const [session, setSessionState] = useState(loadSession);
  const [dev, setDev] = useState({ checked: false, available: false, roles: [] });
  const [role, setRole] = useState(loadRole);
  const [signIn, setSignIn] = useState({ open: false, reason: null });
  const [problem, setProblem] = useState(null);
  const sessionRef = useRef(session);
  const lastMint = useRef(0);

  const setSession = useCallback((s) => {
    sessionRef.current = s;
    saveSession(s);
    setSessionState(s);
  }, []);

  const mint = useCallback(
    async (r) => {
      lastMint.current = Date.now();
      const res = await fetchDevToken(r);
      if (res.available && res.session) {
        setSession(res.session);
        setRole(res.session.role);
        saveRole(res.session.role);
      }
      return res;
    },
    [setSession],
  );

  useEffect(() => {
    loadCatalog();
    let cancelled = false;
    (async () => {
      try {
        const current = sessionRef.current;
        const res = await fetchDevToken(current?.source === 'dev' ? current.roles[0] || role : role);
        if (cancelled) return;
        setDev({ checked: true, available: res.available, roles: res.roles || [] });
        if (res.available && (!current || current.source === 'dev')) {
          setSession(res.session);
          setRole(res.session.role);
          saveRole(res.session.role);
        } else if (!current) {
          setSignIn({ open: true, reason: null });
        }
      } catch (err) {
        if (cancelled) return;
        setDev({ checked: true, available: false, roles: [] });
        setProblem(err.message);
        if (!sessionRef.current) setSignIn({ open: true, reason: null });
      }
    })();
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // The token for the next request: a development token about to expire is
  // replaced first.
  const getToken = useCallback(async () => {
    const s = sessionRef.current;
    if (s?.source === 'dev' && isExpired(s, 60_000)) {
      try {
        const res = await mint(s.role || s.roles[0]);
        if (res.available) return res.session.token;
      } catch {
        // fall through: the server will say why
      }
    }
    return sessionRef.current?.token || null;
  }, [mint]);

  const onUnauthenticated = useCallback(
    (reason) => {
      const s = sessionRef.current;
      if (s?.source === 'dev' && Date.now() - lastMint.current > 10_000) {
        mint(s.role || s.roles[0]).catch(() => setSignIn({ open: true, reason: `The server refused the token: ${reason}` }));
        return;
      }
      setSignIn({ open: true, reason: `The server refused the token: ${reason}. Sign in again.` });
    },
    [mint],
  );

  // A new fetcher (and so a new introspection) per signed-in identity.
  const identity = session ? session.subject + '|' + session.roles.join(',') + '|' + session.source : '';
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const fetcher = useMemo(() => createFetcher(getToken, onUnauthenticated), [identity, getToken, onUnauthenticated]);

  const onRole = (r) => {
    if (!r) return;
    mint(r).catch((err) => setProblem(err.message));
  };

  return (
    <div className="og-app">
      <Header
        session={session}
        dev={dev}
        role={role}
        onRole={onRole}
        onUseToken={() => setSignIn({ open: true, reason: null })}
        onSignOut={() => {
          setSession(null);
          setSignIn({ open: true, reason: 'Signed out.' });
        }}
      />
      {problem && (
        <div className="og-problem" role="alert">
          {problem}{' '}
          <button type="button" onClick={() => setProblem(null)}>
            Dismiss
          </button>
        </div>
      )}
      <main className="og-main">
        {session ? (
          <GraphiQL
            fetcher={fetcher}
            plugins={PLUGINS}
            defaultQuery={WELCOME}
            defaultEditorToolsVisibility="variables"
            shouldPersistHeaders={false}
          >
            <GraphiQL.Logo>
              <span className="og-logo">OpsGraph</span>
            </GraphiQL.Logo>
            <GraphiQL.Toolbar>
              {({ prettify, merge, copy }) => (
                <>
                  {prettify}
                  {merge}
                  {copy}
                  <CsvButton getToken={getToken} />
                </>
              )}
            </GraphiQL.Toolbar>
            <GraphiQL.Footer>
              <ShowSavedOperations />
              <ResultSummary />
            </GraphiQL.Footer>
          </GraphiQL>
        ) : (
          <div className="og-placeholder">{dev.checked ? 'Sign in to explore the OpsGraph API.' : 'Connecting…'}</div>
        )}
      </main>
      {signIn.open && dev.checked && (
        <SignIn
          dev={dev}
          reason={signIn.reason}
          onSignIn={(s) => {
            setSession(s);
            setSignIn({ open: false, reason: null });
          }}
          onDevRole={(r) =>
            mint(r)
              .then(() => setSignIn({ open: false, reason: null }))
              .catch((err) => setProblem(err.message))
          }
          onCancel={session ? () => setSignIn({ open: false, reason: null }) : null}
        />
      )}
    </div>
  );
}
