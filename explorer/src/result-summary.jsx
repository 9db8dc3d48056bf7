// The line under the response: rows returned, errors by code and path
// (FORBIDDEN at a field), userErrors, and the CSV download's status.
import { useEditorContext } from '@graphiql/react';
import { useEffect, useMemo, useState } from 'react';
import { setCsvStatus, useCsvStatus } from './status.js';
import { summarize } from './summary.js';

const MAX_LINES = 6;

export function ResultSummary() {
  const { responseEditor } = useEditorContext({ nonNull: true });
  const [text, setText] = useState('');
  const csv = useCsvStatus();

  useEffect(() => {
    if (!responseEditor) return undefined;
    const show = () => setText(responseEditor.getValue());
    // A new response (or another tab's) replaces the last download's status.
    const update = () => {
      show();
      setCsvStatus(null);
    };
    show();
    responseEditor.on('change', update);
    return () => responseEditor.off('change', update);
  }, [responseEditor]);

  const s = useMemo(() => summarize(text), [text]);
  if (!s && !csv) return null;
  const errorLines = s ? s.errors.slice(0, MAX_LINES) : [];
  return (
    <div className="og-summary" data-testid="result-summary" data-rows={s ? s.rows : ''} data-errors={s ? s.errors.reduce((n, e) => n + e.count, 0) : ''}>
      {s && (
        <div className="og-summary-rows">
          {s.parts.length === 0
            ? 'No data.'
            : s.parts.map((p) => (
                <span key={p.field}>
                  <code>{p.field}</code>: {p.rows.toLocaleString()} {p.rows === 1 ? 'row' : 'rows'}
                  {p.total != null && p.total !== p.rows ? ` of ${p.total.toLocaleString()}` : ''}
                </span>
              ))}
        </div>
      )}
      {errorLines.map((e) => (
        <div key={e.code + e.path + e.message} className={'og-summary-error og-code-' + e.code}>
          <strong>{e.code}</strong>
          {e.count > 1 ? ` ×${e.count}` : ''}
          {e.path ? (
            <>
              {' at '}
              <code>{e.path}</code>
            </>
          ) : null}
          {e.message ? ': ' + e.message : ''}
        </div>
      ))}
      {s && s.errors.length > MAX_LINES && <div className="og-summary-error">… and {s.errors.length - MAX_LINES} more kinds of error (see the response)</div>}
      {s &&
        s.userErrors.slice(0, MAX_LINES).map((u, i) => (
          <div key={'u' + i} className="og-summary-usererror">
            <strong>userError {u.code || ''}</strong>
            {u.path ? (
              <>
                {' in '}
                <code>{u.path}</code>
              </>
            ) : null}
            {u.field ? (
              <>
                {' (field '}
                <code>{Array.isArray(u.field) ? u.field.join('.') : String(u.field)}</code>
                {')'}
              </>
            ) : null}
            {u.message ? ': ' + u.message : ''}
          </div>
        ))}
      {csv && (
        <div className={'og-summary-csv og-csv-' + csv.kind} data-testid="csv-status" data-kind={csv.kind}>
          {csv.text}
        </div>
      )}
    </div>
  );
}
