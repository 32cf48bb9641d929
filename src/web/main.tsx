// The dashboard's web client: builds the state, draws the page into #app and connects to /ws.
import { render } from 'preact';
import { createAppState } from './state/app-state.js';
import { App } from './ui/app.js';
import { scheduleDraws } from './ui/draw-timing.js';
import { AppContext } from './ui/hooks.js';

scheduleDraws();

const root = document.getElementById('app');
const csrfToken = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';
if (root) {
  const app = createAppState(csrfToken, window.location, sessionStorageOrNull());
  root.replaceChildren();
  render(
    <AppContext.Provider value={app}>
      <App />
    </AppContext.Provider>,
    root,
  );
  app.tabs.restore();
  app.socket.start();
}

/** sessionStorage throws in some privacy modes; the page works without it (tabs just do not survive a refresh). */
function sessionStorageOrNull(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}
