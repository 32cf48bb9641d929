// The protocol module decodes each inbound frame once and says precisely what is wrong with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAgentMessage, decodeBrowserMessage, parseEnvelope } from '../../src/protocol/frame.js';
import { isCommandName, isValidHostname } from '../../src/protocol/constants.js';

function decodeAgent(text: string) {
  const envelope = parseEnvelope(text);
  return envelope.ok ? decodeAgentMessage(envelope.message) : envelope;
}

test('an envelope is a JSON object with a string type and an object payload; a missing payload reads as {}', () => {
  assert.deepEqual(parseEnvelope('{"type":"get_state"}'), { ok: true, message: { type: 'get_state', payload: {} } });
  for (const bad of ['', 'nope', '[1]', '"x"', '{"type":""}', '{"type":1}', '{"type":"a","payload":null}', '{"type":"a","payload":[1]}']) {
    const result = parseEnvelope(bad);
    assert.equal(result.ok, false, bad);
  }
});

test('the Go agent forms (v0) are accepted as they are, including nulls where Go sends them', () => {
  const register = decodeAgent(
    JSON.stringify({
      type: 'register',
      payload: { hostname: 'gpc0', host_type: 'nixos', agent_version: '2.0.0', os_version: '', nixpkgs_version: '', generation: 'abc', theme_color: '', heartbeat_interval: 30, location: '', device_type: '', repo_url: '', repo_dir: '/etc/nixos', store_path: null },
    }),
  );
  assert.equal(register.ok, true);
  const heartbeat = decodeAgent(JSON.stringify({ type: 'heartbeat', payload: { generation: 'abc', pending_command: null, command_pid: null, metrics: null, update_status: null, lock_hash: '' } }));
  assert.equal(heartbeat.ok, true);
  const output = decodeAgent(JSON.stringify({ type: 'output', payload: { line: 'x', stream: 'stdout', command: 'switch', is_error: false } }));
  assert.equal(output.ok, true);
  const status = decodeAgent(JSON.stringify({ type: 'status', payload: { status: 'ok', command: 'switch', exit_code: 0, message: '', generation: 'def' } }));
  assert.equal(status.ok, true);
});

test('v1 output batches need numbered lines with a known stream', () => {
  const good = decodeAgent(JSON.stringify({ type: 'output', payload: { command_id: 'c1', lines: [{ seq: 0, stream: 'stderr', line: '' }] } }));
  assert.equal(good.ok, true);
  const empty = decodeAgent(JSON.stringify({ type: 'output', payload: { command_id: 'c1', lines: [] } }));
  assert.equal(empty.ok, false);
  const fractional = decodeAgent(JSON.stringify({ type: 'output', payload: { command_id: 'c1', lines: [{ seq: 1.5, stream: 'stdout', line: '' }] } }));
  assert.ok(!fractional.ok && /lines\/0\/seq/.test(fractional.reason), JSON.stringify(fractional));
});

test('errors name the type and the path of the first wrong field', () => {
  const result = decodeAgent(JSON.stringify({ type: 'heartbeat', payload: { metrics: { cpu: 1, ram: 'x', swap: 0, load: 0 } } }));
  assert.ok(!result.ok);
  assert.match(result.reason, /^heartbeat payload \/metrics\/ram: /);
  const unknown = decodeAgent('{"type":"rm_rf","payload":{}}');
  assert.ok(!unknown.ok && /unknown message type "rm_rf"/.test(unknown.reason));
});

test('browser messages are only get_state and get_output', () => {
  const envelope = (text: string) => {
    const parsed = parseEnvelope(text);
    assert.ok(parsed.ok);
    return parsed.message;
  };
  assert.equal(decodeBrowserMessage(envelope('{"type":"get_state","payload":{}}')).ok, true);
  assert.equal(decodeBrowserMessage(envelope('{"type":"get_output","payload":{"command_id":"x","from_seq":3}}')).ok, true);
  assert.equal(decodeBrowserMessage(envelope('{"type":"get_output","payload":{"from_seq":3}}')).ok, false);
  assert.equal(decodeBrowserMessage(envelope('{"type":"register","payload":{"hostname":"x"}}')).ok, false);
});

test('hostnames follow the contract pattern and commands the contract list', () => {
  for (const good of ['a', 'web-01', 'host.example.org', 'A_b-c.9', 'x'.repeat(63)]) assert.ok(isValidHostname(good), good);
  for (const bad of ['', '.x', '-x', '_x', 'a b', 'x'.repeat(64), 'ü', 'a/b']) assert.ok(!isValidHostname(bad), bad);
  assert.ok(isCommandName('pull-switch') && isCommandName('force-update'));
  assert.ok(!isCommandName('shell') && !isCommandName('toString'));
});

test('short agent strings (versions, location, generation) may not carry control characters', () => {
  const withEscape = decodeAgent(JSON.stringify({ type: 'heartbeat', payload: { generation: 'abc\u001b[31mred' } }));
  assert.ok(!withEscape.ok && /generation/.test(withEscape.reason));
  const withNewline = decodeAgent(JSON.stringify({ type: 'register', payload: { hostname: 'h', location: 'a\nb' } }));
  assert.equal(withNewline.ok, false);
  const unicode = decodeAgent(JSON.stringify({ type: 'register', payload: { hostname: 'h', location: 'Zürich – Rack 3 🚀' } }));
  assert.equal(unicode.ok, true);
  // A status message is free text over several lines.
  const message = decodeAgent(JSON.stringify({ type: 'status', payload: { status: 'error', command: 'switch', message: 'line 1\nline 2' } }));
  assert.equal(message.ok, true);
});

test('v1 output lines carry exactly seq, stream and line: nothing else rides along to browsers', () => {
  const extra = decodeAgent(JSON.stringify({ type: 'output', payload: { command_id: 'c', lines: [{ seq: 0, stream: 'stdout', line: 'x', html: '<b>' }] } }));
  assert.ok(!extra.ok && /lines\/0/.test(extra.reason));
});
