// The GraphiQL fetcher: POST graphql with the session's bearer token on every
// request, schema introspection included.

// createFetcher returns a GraphiQL fetcher. getToken resolves to the token
// to send (refreshing a development token that is about to expire);
// onUnauthenticated is told the server's reason when it answers 401.
export function createFetcher(getToken, onUnauthenticated) {
  return async (params, opts) => {
    const token = await getToken();
    const headers = {
      'Content-Type': 'application/json',
      Accept: 'application/graphql-response+json, application/json',
    };
    if (token) headers.Authorization = 'Bearer ' + token;
    // Headers typed into the headers editor come last: a deliberate
    // Authorization header there wins over the signed-in token.
    Object.assign(headers, opts?.headers || {});
    let res;
    try {
      res = await fetch('graphql', { method: 'POST', headers, body: JSON.stringify(params) });
    } catch (err) {
      return { errors: [{ message: `The OpsGraph server did not answer: ${err.message}`, extensions: { code: 'NETWORK_ERROR' } }] };
    }
    const text = await res.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = { errors: [{ message: `HTTP ${res.status}: ${text.slice(0, 500)}`, extensions: { code: `HTTP_${res.status}` } }] };
    }
    if (res.status === 401) {
      onUnauthenticated?.(body?.errors?.[0]?.message || 'the token was refused');
    }
    return body;
  };
}
