// The explorer's sign-in: a bearer token kept in sessionStorage only (it is
// gone when the browser tab closes), either pasted by the analyst or, on the
// embedded development server, minted for a demo user of a chosen role by
// GET explorer/dev-token?role=R.

const TOKEN_KEY = 'opsgraph.explorer.token';
const SOURCE_KEY = 'opsgraph.explorer.tokenSource'; // "pasted" | "dev"
const ROLE_KEY = 'opsgraph.explorer.devRole';

export const DEFAULT_ROLE = 'OPS_ANALYST';

function storage() {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage disabled: the token lives in memory only
  }
}

// decodeToken reads a JWT's claims (without verifying it: the server does).
// It returns null when the text is not a JWT.
export function decodeToken(token) {
  const parts = (token || '').trim().split('.');
  if (parts.length !== 3) return null;
  try {
    const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = decodeURIComponent(
      Array.from(atob(b64.padEnd(b64.length + ((4 - (b64.length % 4)) % 4), '=')))
        .map((c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0'))
        .join(''),
    );
    const claims = JSON.parse(json);
    return claims && typeof claims === 'object' ? claims : null;
  } catch {
    return null;
  }
}

// sessionFromToken describes a token: who, which roles, when it expires.
export function sessionFromToken(token, source, extra = {}) {
  const claims = decodeToken(token);
  if (!claims) return null;
  let roles = claims.roles;
  if (typeof roles === 'string') roles = [roles];
  return {
    token: token.trim(),
    source,
    subject: claims.sub || '(no subject)',
    roles: Array.isArray(roles) ? roles : [],
    expiresAt: typeof claims.exp === 'number' ? claims.exp * 1000 : null,
    ...extra,
  };
}

export function isExpired(session, marginMs = 0) {
  return !!session && session.expiresAt != null && session.expiresAt - marginMs <= Date.now();
}

export function loadSession() {
  const s = storage();
  if (!s) return null;
  const token = s.getItem(TOKEN_KEY);
  const source = s.getItem(SOURCE_KEY) || 'pasted';
  const session = token ? sessionFromToken(token, source) : null;
  return session && !isExpired(session) ? session : null;
}

export function saveSession(session) {
  const s = storage();
  if (!s) return;
  if (session) {
    s.setItem(TOKEN_KEY, session.token);
    s.setItem(SOURCE_KEY, session.source);
  } else {
    s.removeItem(TOKEN_KEY);
    s.removeItem(SOURCE_KEY);
  }
}

export function loadRole() {
  return storage()?.getItem(ROLE_KEY) || DEFAULT_ROLE;
}

export function saveRole(role) {
  storage()?.setItem(ROLE_KEY, role);
}

// fetchDevToken asks the server for a development token. It resolves to
// {available: false} where the server offers none (404: not the embedded
// development default), or to {available: true, session, roles}.
export async function fetchDevToken(role) {
  const res = await fetch('explorer/dev-token?role=' + encodeURIComponent(role), {
    headers: { Accept: 'application/json' },
    credentials: 'same-origin',
    cache: 'no-store',
  });
  if (res.status === 404) return { available: false };
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const msg = body?.errors?.[0]?.message || res.statusText;
    throw new Error(`development token: ${res.status} ${msg}`);
  }
  return {
    available: true,
    roles: body.roles || [],
    session: sessionFromToken(body.token, 'dev', { role: body.role }),
  };
}

// checkToken runs a trivial query with token and resolves to null when the
// server accepts it, else to the server's reason.
export async function checkToken(token) {
  const res = await fetch('graphql', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: 'Bearer ' + token },
    body: JSON.stringify({ query: 'query SignInCheck { __typename }' }),
  });
  if (res.ok) return null;
  const body = await res.json().catch(() => null);
  return body?.errors?.[0]?.message || `HTTP ${res.status}`;
}
