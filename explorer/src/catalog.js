// The server's catalog (explorer/operations.json): saved operations and CSV
// exports, loaded once per page.
import { useSyncExternalStore } from 'react';

let state = { operations: null, exports: [], error: null };
const listeners = new Set();

function set(next) {
  state = { ...state, ...next };
  listeners.forEach((l) => l());
}

export function loadCatalog() {
  fetch('explorer/operations.json', { headers: { Accept: 'application/json' } })
    .then((res) => {
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return res.json();
    })
    .then((body) => set({ operations: body.operations || [], exports: body.exports || [], error: null }))
    .catch((err) => set({ error: err.message }));
}

export function useCatalog() {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => state,
  );
}
