// "Download CSV": the current query's root field mapped to the server's CSV
// exports (GET export/<name>.csv?<arguments>, docs/reports.md "CSV export"),
// with the query's arguments (literals or variables) as URL parameters.
import { Kind, parse, valueFromASTUntyped } from 'graphql';

// Paging arguments are the export's own business.
const PAGING = new Set(['first', 'after', 'last', 'before']);

function selectedOperation(doc, operationName) {
  const ops = doc.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (operationName) {
    const named = ops.find((o) => o.name?.value === operationName);
    if (named) return named;
  }
  return ops[0] || null;
}

function variableValues(op, variablesText) {
  const vars = {};
  for (const def of op.variableDefinitions || []) {
    if (def.defaultValue) vars[def.variable.name.value] = valueFromASTUntyped(def.defaultValue, {});
  }
  let given = {};
  if (variablesText && variablesText.trim()) {
    given = JSON.parse(variablesText); // a syntax error is reported to the analyst
  }
  return { ...vars, ...(given && typeof given === 'object' ? given : {}) };
}

function addArguments(params, field, vars) {
  for (const arg of field.arguments || []) {
    const name = arg.name.value;
    if (PAGING.has(name)) continue;
    const value = valueFromASTUntyped(arg.value, vars);
    if (value === undefined || value === null) continue;
    params.set(name, typeof value === 'object' ? JSON.stringify(value) : String(value));
  }
}

// csvChoices lists the exports that fit the query: for each root field of
// the selected operation, the exports of that field, the saved operation's
// preferred ones first. Each choice has the export name, the rows it holds
// and the URL to fetch. It throws on a query or variables that do not parse.
export function csvChoices({ query, variables, operationName, exports, preferred = [] }) {
  const doc = parse(query);
  const op = selectedOperation(doc, operationName);
  if (!op || op.operation !== 'query') return [];
  const vars = variableValues(op, variables);
  const choices = [];
  for (const sel of op.selectionSet.selections) {
    if (sel.kind !== Kind.FIELD) continue;
    const root = sel.name.value;
    for (const ex of exports.filter((e) => e.root === root)) {
      const params = new URLSearchParams();
      addArguments(params, sel, vars);
      // Arguments of the report's rows field, e.g. stuckOrders(olderThanHours:).
      if (ex.rows.length > 0) {
        const rowsField = (sel.selectionSet?.selections || []).find((s) => s.kind === Kind.FIELD && s.name.value === ex.rows[0]);
        if (rowsField) addArguments(params, rowsField, vars);
      }
      const qs = params.toString();
      choices.push({
        name: ex.name,
        root,
        rows: ex.rows.length ? ex.rows.join('.') : 'edges',
        url: 'export/' + encodeURIComponent(ex.name) + '.csv' + (qs ? '?' + qs : ''),
      });
    }
  }
  const rank = (c) => {
    const i = preferred.indexOf(c.name);
    return i < 0 ? preferred.length : i;
  };
  return choices.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

// downloadCsv fetches one export as the signed-in viewer and saves it. It
// resolves to {filename, bytes}, or throws an Error with the server's
// message.
export async function downloadCsv(choice, token) {
  const res = await fetch(choice.url, { headers: token ? { Authorization: 'Bearer ' + token } : {} });
  if (!res.ok) {
    const text = await res.text();
    let msg = text.slice(0, 300);
    try {
      const body = JSON.parse(text);
      const e = body?.errors?.[0];
      if (e) msg = (e.extensions?.code ? e.extensions.code + ': ' : '') + e.message;
    } catch {
      // not JSON: keep the text
    }
    throw new Error(`${choice.name}.csv: HTTP ${res.status} ${msg}`);
  }
  const blob = await res.blob();
  const disposition = res.headers.get('Content-Disposition') || '';
  const filename = /filename="?([^";]+)"?/.exec(disposition)?.[1] || choice.name + '.csv';
  const href = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = href;
  a.download = filename;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10000);
  return { filename, bytes: blob.size };
}
