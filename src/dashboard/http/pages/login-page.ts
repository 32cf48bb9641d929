// The login form. It works without JavaScript; the message (wrong password, wrong code, too many
// attempts) comes from POST /login and is announced to screen readers.
import { html, page } from './html.js';
import { webAssets } from '../assets.js';

export function loginPage(options: { totp: boolean; message?: string }): string {
  const totpField = options.totp
    ? html`<label for="totp">Authenticator code</label>
<input id="totp" name="totp" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" required>`
    : html``;
  const message = options.message ? html`<p class="message" role="alert">${options.message}</p>` : html``;
  const assets = webAssets();
  return page(
    'NixFleet · log in',
    html`<main class="login">
<h1>NixFleet</h1>
${message}
<form method="post" action="/login">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required autofocus>
${totpField}
<button type="submit">Log in</button>
</form>
</main>`,
    html`<meta name="color-scheme" content="light dark">
${assets ? html`<link rel="stylesheet" href="${assets.stylesheet}">
<link rel="icon" href="${assets.icon}" type="image/svg+xml">` : html``}`,
  );
}
