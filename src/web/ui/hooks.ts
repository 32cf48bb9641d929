// Components read stores directly and re-render when the store says it changed.
import { createContext } from 'preact';
import { useContext, useLayoutEffect, useState } from 'preact/hooks';
import type { AppState } from '../state/app-state.js';

export interface Subscribable {
  subscribe(listener: () => void): () => void;
}

/** Re-renders the component whenever `source` changes. */
export function useObservable(source: Subscribable): void {
  const [, setTick] = useState(0);
  // A layout effect subscribes right after the render, so no change between the two is missed.
  useLayoutEffect(() => source.subscribe(() => setTick((n) => n + 1)), [source]);
}

export const AppContext = createContext<AppState | null>(null);

export function useApp(): AppState {
  const app = useContext(AppContext);
  if (!app) throw new Error('useApp outside <AppContext.Provider>');
  return app;
}
