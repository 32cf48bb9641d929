// Putting text on the clipboard: a log, an agent token.

/**
 * The Clipboard API needs a secure context; a dashboard on plain http in a LAN falls back to
 * execCommand on a hidden textarea. That textarea goes into `within`: while a modal dialog is open the
 * rest of the page is inert, and text there could not be selected.
 */
export async function copyText(text: string, within: HTMLElement = document.body): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const focused = document.activeElement;
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.className = 'offscreen';
  within.append(area);
  area.select();
  const copied = document.execCommand('copy');
  area.remove();
  if (focused instanceof HTMLElement) focused.focus();
  if (!copied) throw new Error('the browser refused to copy');
}
