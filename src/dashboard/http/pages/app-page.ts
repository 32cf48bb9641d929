// The dashboard page shell: it loads the web client (src/web), which draws everything into #app.
// Nothing inline (no <script> body, no style attribute): the CSP allows only our own files.
import { html, page } from './html.js';
import type { WebAssets } from '../assets.js';

export function appPage(csrfToken: string, assets: WebAssets | null): string {
  if (!assets) return unbuiltPage(csrfToken);
  return page(
    'NixFleet',
    html`<div id="app">
<noscript><p class="boot">The NixFleet dashboard needs JavaScript.</p></noscript>
<p class="boot">Loading the dashboard…</p>
</div>`,
    html`<meta name="csrf-token" content="${csrfToken}">
<meta name="color-scheme" content="light dark">
<link rel="stylesheet" href="${assets.stylesheet}">
<link rel="icon" href="${assets.icon}" type="image/svg+xml">
<script type="module" src="${assets.script}"></script>`,
  );
}

/** Without a build there is no client to load; say how to make one rather than show a blank page. */
function unbuiltPage(csrfToken: string): string {
  return page(
    'NixFleet',
    html`<main class="unbuilt">
<h1>NixFleet</h1>
<p>The web client is not built. Run <code>npm run build</code> (or <code>node scripts/build-web.mjs</code>) and reload.</p>
<form method="post" action="/logout"><input type="hidden" name="csrf_token" value="${csrfToken}"><button type="submit">Log out</button></form>
</main>`,
    html`<meta name="csrf-token" content="${csrfToken}">`,
  );
}
