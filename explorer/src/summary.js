// A one-look summary of a GraphQL response: how many rows came back, and
// the errors grouped by code and path (FORBIDDEN at a field of every row is
// one line, not fifty), and any userErrors of mutation payloads.

// normalisePath turns ["renewalCalendar","edges",3,"node","arrMinor"] into
// "renewalCalendar.edges[*].node.arrMinor".
export function normalisePath(path) {
  if (!Array.isArray(path) || path.length === 0) return '';
  return path.map((p) => (typeof p === 'number' ? '[*]' : '.' + p)).join('').replace(/^\./, '');
}

// countRows counts the rows of a root field's value: a connection's edges,
// or the items of the lists directly under it.
function countRows(value) {
  if (Array.isArray(value)) return value.length;
  if (!value || typeof value !== 'object') return 0;
  if (Array.isArray(value.edges)) return value.edges.length;
  let n = 0;
  for (const [k, v] of Object.entries(value)) {
    if (k === 'userErrors') continue;
    if (Array.isArray(v)) n += v.length;
    else if (v && typeof v === 'object' && Array.isArray(v.edges)) n += v.edges.length;
  }
  return n;
}

function findUserErrors(value, path, out) {
  if (!value || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => findUserErrors(v, path.concat(i), out));
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    if (k === 'userErrors' && Array.isArray(v)) {
      for (const e of v) out.push({ path: normalisePath(path), ...e });
    } else {
      findUserErrors(v, path.concat(k), out);
    }
  }
}

// summarize returns {rows, parts: [{field, rows, total}], errors: [{code,
// path, message, count}], userErrors: [...]} for a response text, or null
// when the text is not a GraphQL response.
export function summarize(text) {
  if (!text || !text.trim()) return null;
  let res;
  try {
    res = JSON.parse(text);
  } catch {
    return null;
  }
  if (!res || typeof res !== 'object' || (!('data' in res) && !('errors' in res))) return null;
  const parts = [];
  let rows = 0;
  if (res.data && typeof res.data === 'object') {
    for (const [field, value] of Object.entries(res.data)) {
      if (field === '__typename' || field === '__schema') continue;
      const n = countRows(value);
      rows += n;
      parts.push({ field, rows: n, total: value && typeof value.totalCount === 'number' ? value.totalCount : null });
    }
  }
  const groups = new Map();
  for (const e of Array.isArray(res.errors) ? res.errors : []) {
    const code = e?.extensions?.code || 'ERROR';
    const path = normalisePath(e?.path);
    const key = code + '\u0000' + path + '\u0000' + (e?.message || '');
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { code, path, message: e?.message || '', count: 1 });
  }
  const userErrors = [];
  findUserErrors(res.data, [], userErrors);
  return { rows, parts, errors: Array.from(groups.values()), userErrors };
}
