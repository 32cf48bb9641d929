// The login form.
import { html, page } from './html.js';

export function loginPage(options: { totp: boolean; message?: string }): string {
  const totpField = options.totp
    ? html`<label for="totp">Authenticator code</label>
<input id="totp" name="totp" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" required>`
    : html``;
  const message = options.message ? html`<p class="message" role="alert">${options.message}</p>` : html``;
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
  );
}
