// The "Saved operations" plugin pane: the library of documented report and
// look-up operations shipped with the server (explorer/operations.json),
// each opened as a GraphiQL tab with its variables.
import { useEditorContext } from '@graphiql/react';
import { useCatalog } from './catalog.js';

export function SavedOperationsIcon() {
  return (
    <svg height="1em" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden="true">
      <path d="M6 3h9l4 4v14H6z" strokeLinejoin="round" />
      <path d="M9 11h7M9 15h7M9 7h4" strokeLinecap="round" />
    </svg>
  );
}

// Inline `code` in descriptions; everything else is text.
function Described({ text }) {
  const parts = text.split(/(`[^`]+`)/g);
  return parts.map((p, i) => (p.startsWith('`') && p.endsWith('`') && p.length > 1 ? <code key={i}>{p.slice(1, -1)}</code> : p));
}

const isBlank = (q) => !q || !q.replace(/^\s*#.*$/gm, '').trim();

export function openOperation(editor, op) {
  const { tabs, activeTabIndex, addTab, queryEditor, variableEditor, setOperationName } = editor;
  const fill = () => {
    queryEditor?.setValue(op.query);
    variableEditor?.setValue(op.variables || '');
    // At once, not after the editor's debounce: a quick run must not send
    // the previous tab's operation name.
    if (op.operationName) setOperationName(op.operationName);
  };
  const current = tabs[activeTabIndex];
  if (current && isBlank(queryEditor ? queryEditor.getValue() : current.query)) {
    fill(); // reuse an empty tab
    return;
  }
  addTab();
  // addTab loads the new (empty) tab into the editors when React applies
  // the state update; fill them after that.
  setTimeout(fill, 0);
}

function SavedOperationsPane() {
  const catalog = useCatalog();
  const editor = useEditorContext({ nonNull: true });
  if (catalog.error) return <div className="og-pane-error">Could not load the saved operations: {catalog.error}</div>;
  if (!catalog.operations) return <div className="og-pane-muted">Loading…</div>;
  const groups = [];
  for (const op of catalog.operations) {
    let g = groups.find((x) => x.name === op.group);
    if (!g) groups.push((g = { name: op.group, ops: [] }));
    g.ops.push(op);
  }
  return (
    <section className="og-saved" aria-label="Saved operations">
      <div className="graphiql-doc-explorer-title">Saved operations</div>
      <p className="og-pane-muted">
        Ready-made queries for the weekly reports and common look-ups. Open one as a tab, adjust its variables, run it
        (▶), and download the report as CSV from the toolbar.
      </p>
      {groups.map((g) => (
        <div key={g.name} className="og-saved-group">
          <h3>{g.name}</h3>
          <ul>
            {g.ops.map((op) => (
              <li key={op.id}>
                <button
                  type="button"
                  className="og-saved-open"
                  data-operation={op.id}
                  onClick={() => openOperation(editor, op)}
                  title={`Open ${op.operationName} in a tab`}
                >
                  {op.title}
                </button>
                <p className="og-saved-description">
                  <Described text={op.description} />
                </p>
                {op.exports?.length > 0 && (
                  <p className="og-saved-exports">
                    CSV: {op.exports.map((e, i) => (
                      <span key={e}>
                        {i > 0 && ', '}
                        <code>{e}</code>
                      </span>
                    ))}
                  </p>
                )}
              </li>
            ))}
          </ul>
        </div>
      ))}
    </section>
  );
}

export const savedOperationsPlugin = {
  title: 'Saved operations',
  icon: SavedOperationsIcon,
  content: SavedOperationsPane,
};
