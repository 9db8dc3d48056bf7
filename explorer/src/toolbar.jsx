// "Download CSV" in the query editor's toolbar.
import { ToolbarButton, useEditorContext } from '@graphiql/react';
import { useEffect, useRef, useState } from 'react';
import { useCatalog } from './catalog.js';
import { csvChoices, downloadCsv } from './csv.js';
import { setCsvStatus } from './status.js';

function CsvIcon() {
  return (
    <svg className="graphiql-toolbar-icon" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden="true">
      <path d="M12 3v12m0 0-4.5-4.5M12 15l4.5-4.5" strokeLinecap="round" strokeLinejoin="round" />
      <path d="M4 17v3h16v-3" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

export function CsvButton({ getToken }) {
  const editor = useEditorContext({ nonNull: true });
  const catalog = useCatalog();
  const [choices, setChoices] = useState(null);
  const ref = useRef(null);

  useEffect(() => {
    if (!choices) return undefined;
    const close = (e) => {
      if (ref.current && !ref.current.contains(e.target)) setChoices(null);
    };
    const esc = (e) => e.key === 'Escape' && setChoices(null);
    document.addEventListener('mousedown', close);
    document.addEventListener('keydown', esc);
    return () => {
      document.removeEventListener('mousedown', close);
      document.removeEventListener('keydown', esc);
    };
  }, [choices]);

  const download = async (choice) => {
    setChoices(null);
    setCsvStatus({ kind: 'busy', text: `Downloading ${choice.name}.csv…` });
    try {
      const { filename, bytes } = await downloadCsv(choice, await getToken());
      setCsvStatus({ kind: 'ok', text: `Saved ${filename} (${bytes.toLocaleString()} bytes) from ${decodeURIComponent(choice.url)}` });
    } catch (err) {
      setCsvStatus({ kind: 'error', text: `CSV download failed: ${err.message}` });
    }
  };

  const onClick = () => {
    if (choices) {
      setChoices(null);
      return;
    }
    const query = editor.queryEditor?.getValue() ?? '';
    const operationName = editor.queryEditor?.operationName ?? null;
    const saved = (catalog.operations || []).find((o) => o.operationName && o.operationName === operationName);
    let list;
    try {
      list = csvChoices({
        query,
        variables: editor.variableEditor?.getValue() ?? '',
        operationName,
        exports: catalog.exports,
        preferred: saved?.exports || [],
      });
    } catch (err) {
      setCsvStatus({ kind: 'error', text: `CSV download: fix the query or the variables first (${err.message})` });
      return;
    }
    if (list.length === 0) {
      setCsvStatus({
        kind: 'error',
        text: 'No CSV export for this query: exports exist for the reports and for root lists such as accounts or orders (see docs/reports.md, "CSV export").',
      });
      return;
    }
    if (list.length === 1) {
      download(list[0]);
      return;
    }
    setChoices(list);
  };

  return (
    <div className="og-csv" ref={ref}>
      <ToolbarButton label="Download CSV" onClick={onClick} data-testid="csv-button" aria-haspopup="menu" aria-expanded={!!choices}>
        <CsvIcon />
      </ToolbarButton>
      {choices && (
        <div className="og-csv-menu" role="menu" aria-label="CSV exports">
          <div className="og-csv-menu-title">Download CSV</div>
          {choices.map((c) => (
            <button key={c.name} type="button" role="menuitem" data-export={c.name} onClick={() => download(c)}>
              <span className="og-csv-name">{c.name}.csv</span>
              <span className="og-csv-rows">
                {c.root}
                {c.rows !== 'edges' ? ' → ' + c.rows : ''}
              </span>
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
