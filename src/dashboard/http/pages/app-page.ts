// The dashboard page shell. The live fleet view is the web client (src/web), loaded by this page.
import { html, page } from './html.js';

export function appPage(csrfToken: string): string {
  return page(
    'NixFleet',
    html`<main>
<h1>NixFleet</h1>
<p id="status">Connecting…</p>
<form method="post" action="/logout"><input type="hidden" name="csrf_token" value="${csrfToken}"><button type="submit">Log out</button></form>
</main>`,
    html`<meta name="csrf-token" content="${csrfToken}">`,
  );
}
