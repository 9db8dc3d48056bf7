// The CSV download's status line, shared by the toolbar button and the
// result summary under the response.
import { useSyncExternalStore } from 'react';

let status = null; // {kind: "busy" | "ok" | "error", text}
const listeners = new Set();

export function setCsvStatus(next) {
  status = next;
  listeners.forEach((l) => l());
}

export function useCsvStatus() {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => status,
  );
}
