// What the "Add host" form holds, whether the dashboard would take its hostname, and the body of
// POST /api/hosts it becomes. The hostname is checked with the protocol's own pattern, so a name the
// dashboard would refuse is caught before any request.
import type { CreateHostBody } from '../../protocol/http.js';
import type { HostType } from '../../protocol/model.js';
import { isValidHostname } from '../../protocol/constants.js';

export interface NewHostFields {
  hostname: string;
  hostType: HostType;
  location: string;
  deviceType: string;
  /** `#rrggbb`, or null for no theme colour. */
  themeColor: string | null;
}

export const EMPTY_NEW_HOST: NewHostFields = { hostname: '', hostType: 'nixos', location: '', deviceType: '', themeColor: null };

/** The colour offered when the admin ticks "Theme colour" (the page's own accent). */
export const DEFAULT_THEME_COLOR = '#2f5fd0';

/** Limits of CreateHostBody (src/protocol/http.ts), which the bundle cannot import at run time. */
export const HOSTNAME_MAX_CHARS = 63;
export const HOST_TEXT_MAX_CHARS = 256;

/** Why the dashboard would refuse this hostname, or null when it would take it. */
export function hostnameProblem(hostname: string): string | null {
  const name = hostname.trim();
  if (name === '') return 'Enter the name the host’s agent registers with.';
  if (!isValidHostname(name)) {
    return `“${name}” is not a hostname the agent can register: it must start with a letter or digit and have at most ${HOSTNAME_MAX_CHARS} letters, digits, dots, hyphens and underscores.`;
  }
  return null;
}

/** The request body; empty optional fields are left out rather than sent as "". */
export function createHostBody(fields: NewHostFields): CreateHostBody {
  const body: CreateHostBody = { hostname: fields.hostname.trim(), host_type: fields.hostType };
  const location = fields.location.trim();
  const deviceType = fields.deviceType.trim();
  if (location) body.location = location;
  if (deviceType) body.device_type = deviceType;
  if (fields.themeColor) body.theme_color = fields.themeColor;
  return body;
}
