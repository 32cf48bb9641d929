// Which permessage-deflate offers reach ws: a browser's that can take the shared compressed init, as
// plain `permessage-deflate`; anything else, and every agent's, not at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { settleDeflateOffer } from '../../src/dashboard/http/deflate-offer.js';

function settled(offer: string | undefined, kind: 'agent' | 'browser' = 'browser'): string | undefined {
  const headers: IncomingHttpHeaders = offer === undefined ? {} : { 'sec-websocket-extensions': offer };
  settleDeflateOffer(headers, kind);
  return headers['sec-websocket-extensions'];
}

test('offers that can take the shared compressed init reach ws as plain permessage-deflate', () => {
  for (const offer of [
    'permessage-deflate',
    'permessage-deflate; client_max_window_bits', // Chromium's
    'permessage-deflate; client_max_window_bits=10; server_no_context_takeover; client_no_context_takeover',
    'permessage-deflate; server_max_window_bits=15',
    'permessage-deflate; server_max_window_bits="15"',
    'Permessage-Deflate; Client_Max_Window_Bits',
    'permessage-deflate; server_max_window_bits=10, permessage-deflate', // the second offer fits
    'x-webkit-deflate-frame, permessage-deflate',
  ]) {
    assert.equal(settled(offer), 'permessage-deflate', offer);
  }
});

test('offers that cannot take it, and every agent offer, are dropped rather than refused', () => {
  for (const offer of [
    'permessage-deflate; server_max_window_bits=10', // a smaller window than the init's
    'permessage-deflate; server_max_window_bits',
    'permessage-deflate; client_max_window_bits=7',
    'permessage-deflate; client_max_window_bits=16',
    'permessage-deflate; server_no_context_takeover=1',
    'permessage-deflate; client_no_context_takeover; client_no_context_takeover',
    'permessage-deflate; something_else',
    'x-webkit-deflate-frame',
    '',
  ]) {
    assert.equal(settled(offer), undefined, offer);
  }
  assert.equal(settled('permessage-deflate', 'agent'), undefined);
  assert.equal(settled(undefined), undefined);
});
