// The host-management store: one dialog at a time, a new token always reaches the screen, a late
// "closed" from a replaced dialog cannot close its successor, and refusals land where they are seen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Host } from '../../../src/protocol/model.js';
import type { HostOutcome, HostTokenOutcome, Refusal, RemoveHostOutcome } from '../../../src/web/net/api.js';
import { HostAdmin, type HostApi } from '../../../src/web/state/host-admin.js';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** An API whose answers the test gives, one request at a time, and which records what was asked. */
function fakeApi() {
  const calls: string[] = [];
  let next = deferred<HostTokenOutcome | RemoveHostOutcome | HostOutcome>();
  const answer = (outcome: HostTokenOutcome | RemoveHostOutcome | HostOutcome) => {
    const current = next;
    next = deferred();
    current.resolve(outcome);
  };
  const fail = (error: Error) => {
    const current = next;
    next = deferred();
    current.reject(error);
  };
  const api: HostApi = {
    createHost: (body) => {
      calls.push(`create ${body.hostname}`);
      return next.promise as Promise<HostTokenOutcome>;
    },
    rotateToken: (hostId) => {
      calls.push(`rotate ${hostId}`);
      return next.promise as Promise<HostTokenOutcome>;
    },
    removeHost: (hostId, force) => {
      calls.push(`remove ${hostId}${force ? ' force' : ''}`);
      return next.promise as Promise<RemoveHostOutcome>;
    },
    setHostTags: (hostId, tags) => {
      calls.push(`tags ${hostId} ${tags.join(',')}`);
      return next.promise as Promise<HostOutcome>;
    },
  };
  return { api, calls, answer, fail };
}

function setup() {
  const fake = fakeApi();
  const notices: string[] = [];
  const admin = new HostAdmin(fake.api, { add: (level, text) => notices.push(`${level}: ${text}`) });
  return { ...fake, admin, notices };
}

const issued = (hostId: string, token: string, hostType: Host['host_type'] = 'nixos'): HostTokenOutcome => ({
  ok: true,
  host: { id: hostId, host_type: hostType } as Host,
  token,
});
const refused = (status: number, error: string, message: string): Refusal => ({ ok: false, status, error, message });

test('a new token is shown even if its dialog was closed while the request ran', async () => {
  const { admin, answer } = setup();
  admin.openAdd();
  const sent = admin.create({ hostname: 'web-01' });
  admin.dismiss('add');
  answer(issued('web-01', 'secret-1', 'macos'));
  await sent;
  assert.deepEqual(
    admin.dialog.value,
    { kind: 'token', hostId: 'web-01', hostType: 'macos', token: 'secret-1', reason: 'created' },
    'with the host’s type, which decides the settings to paste',
  );
});

test('a confirmation replaced by its token cannot close the token dialog when it reports closing late', async () => {
  const { admin, answer } = setup();
  admin.askRotate('web-01');
  const sent = admin.rotate();
  answer(issued('web-01', 'secret-2'));
  await sent;
  admin.dismiss('rotate');
  assert.equal(admin.dialog.value?.kind, 'token');
  admin.dismiss('token');
  assert.equal(admin.dialog.value, null, 'closing the token dialog forgets the token');
});

test('a connected host is refused in the dialog, and "Remove anyway" asks again with force', async () => {
  const { admin, answer, calls, notices } = setup();
  admin.askRemove('web-01');
  const first = admin.remove(false);
  answer(refused(409, 'host_connected', 'web-01 has a connected agent'));
  await first;
  assert.deepEqual(admin.dialog.value, {
    kind: 'remove',
    hostId: 'web-01',
    sending: false,
    refusal: { error: 'host_connected', message: 'web-01 has a connected agent' },
  });
  const second = admin.remove(true);
  answer({ ok: true });
  await second;
  assert.deepEqual(calls, ['remove web-01', 'remove web-01 force']);
  assert.equal(admin.dialog.value, null);
  assert.deepEqual(notices, ['info: web-01 was removed.']);
});

test('a refusal after its dialog was closed goes to the notices, not into another dialog', async () => {
  const { admin, answer, notices } = setup();
  admin.askRotate('web-01');
  const sent = admin.rotate();
  admin.dismiss('rotate');
  admin.openAdd();
  answer(refused(404, 'unknown_host', 'no host "web-01"'));
  await sent;
  assert.deepEqual(admin.dialog.value, { kind: 'add', sending: false, refusal: null });
  assert.deepEqual(notices, ['error: Rotating the token of web-01 failed: no host "web-01"']);
});

test('a request that throws is a refusal the form shows; a second submit while one runs sends nothing', async () => {
  const { admin, fail, calls } = setup();
  admin.openAdd();
  const sent = admin.create({ hostname: 'web-01' });
  await admin.create({ hostname: 'web-01' });
  assert.deepEqual(calls, ['create web-01']);
  fail(new Error('offline'));
  await sent;
  const dialog = admin.dialog.value;
  assert.equal(dialog?.kind, 'add');
  assert.equal(dialog.kind === 'add' && dialog.refusal?.error, 'network');
  assert.equal(dialog.kind === 'add' && dialog.sending, false);
});

test('tags are saved for the host whose dialog is open; a refusal stays in that dialog, success closes it', async () => {
  const { admin, answer, calls, notices } = setup();
  admin.editTags('web-01');
  const first = admin.saveTags(['prod', 'web']);
  answer(refused(400, 'bad_request', 'body/tags/0 must match pattern'));
  await first;
  assert.deepEqual(admin.dialog.value, {
    kind: 'tags',
    hostId: 'web-01',
    sending: false,
    refusal: { error: 'bad_request', message: 'body/tags/0 must match pattern' },
  });
  const second = admin.saveTags([]);
  answer({ ok: true, host: { id: 'web-01' } as Host });
  await second;
  assert.deepEqual(calls, ['tags web-01 prod,web', 'tags web-01 ']);
  assert.equal(admin.dialog.value, null, 'the row shows the tags when the dashboard’s host_update arrives');
  assert.deepEqual(notices, []);
});
