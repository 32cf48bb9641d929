// Taking a log out of the page as a file read from the dashboard page by page
// (GET /api/commands/:id/output), so the file holds every stored line whatever this page has.
import type { DashboardApi } from '../../net/api.js';

/** Lines asked for per request when downloading; the dashboard answers at most 100,000. */
export const DOWNLOAD_PAGE_LINES = 50_000;
/** How long the download's object URL lives; the browser has the file by then. */
const OBJECT_URL_LIFETIME_MS = 60_000;

export async function fetchFullLog(api: DashboardApi, commandId: string): Promise<string[]> {
  const lines: string[] = [];
  for (let fromSeq = 0; ; ) {
    const page = await api.outputPage(commandId, fromSeq, DOWNLOAD_PAGE_LINES);
    for (const line of page.lines) lines.push(line.line);
    const last = page.lines[page.lines.length - 1];
    if (!page.more || !last) return lines;
    fromSeq = last.seq + 1;
  }
}

export async function downloadLog(api: DashboardApi, commandId: string, fileName: string): Promise<number> {
  const lines = await fetchFullLog(api, commandId);
  const blob = new Blob([lines.join('\n'), lines.length > 0 ? '\n' : ''], { type: 'text/plain;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), OBJECT_URL_LIFETIME_MS);
  return lines.length;
}

/** A file name from the host and command, with nothing a file system could object to. */
export function logFileName(hostId: string, command: string, commandId: string): string {
  const safe = (text: string) => text.replace(/[^A-Za-z0-9._-]+/g, '_');
  return `${safe(hostId)}-${safe(command)}-${safe(commandId.slice(0, 8))}.log`;
}
