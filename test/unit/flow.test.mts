// The polling loop, driven with a fake clock and a scripted server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pollUntilDone } from '../../src/api/flow.js';
import { MytokenServer } from '../../src/api/server.js';
import { MytokenServerError } from '../../src/errors.js';

function script(answers: (string | object)[]) {
  let t = 0;
  const waits: number[] = [];
  let polls = 0;
  return {
    waits,
    get polls() {
      return polls;
    },
    opts: {
      now: () => t,
      sleep: async (ms: number) => {
        waits.push(ms);
        t += ms;
      },
      poll: async () => {
        const a = answers[polls++];
        if (typeof a === 'string') throw new MytokenServerError('http://s', a === 'authorization_pending' ? 428 : 401, a);
        return a as object;
      },
    },
  };
}

const server = new MytokenServer('http://s', {});

test('17.5/67 polls at the server interval, keeps going on authorization_pending', async () => {
  const s = script(['authorization_pending', 'authorization_pending', { mytoken: 'MT' }]);
  const pending: number[] = [];
  const res = await pollUntilDone(server, { polling_code: 'c', interval: 2, expires_in: 60 }, { ...s.opts, onPending: (n) => pending.push(n) });
  assert.deepEqual(res, { mytoken: 'MT' });
  assert.deepEqual(s.waits, [2000, 2000, 2000]);
  assert.deepEqual(pending, [1, 2]);
});

test('a missing or zero interval means 5 s (upstream crashes); slow_down adds 5 s', async () => {
  const s = script(['slow_down', { mytoken: 'MT' }]);
  await pollUntilDone(server, { polling_code: 'c', interval: 0, expires_in: 60 }, s.opts);
  assert.deepEqual(s.waits, [5000, 10000]);
  const big = script(['authorization_pending', 'authorization_pending', { mytoken: 'MT' }]);
  await pollUntilDone(server, { polling_code: 'c', interval: 20, expires_in: 600 }, big.opts);
  assert.deepEqual(big.waits, [20000, 20000, 20000]);
});

test('17.5/69 access_denied and expired_token end the login with status 3', async () => {
  await assert.rejects(pollUntilDone(server, { polling_code: 'c', interval: 1, expires_in: 60 }, script(['access_denied']).opts), (e: Error & { exitStatus?: number }) => {
    assert.match(e.message, /declined/);
    assert.equal(e.exitStatus, 3);
    return true;
  });
  await assert.rejects(pollUntilDone(server, { polling_code: 'c', interval: 1, expires_in: 60 }, script(['expired_token']).opts), /expired/);
});

test('17.5/70 gives up after expires_in with status 3', async () => {
  const s = script(Array(10).fill('authorization_pending'));
  await assert.rejects(pollUntilDone(server, { polling_code: 'c', interval: 1, expires_in: 2 }, s.opts), (e: Error & { exitStatus?: number }) => {
    assert.match(e.message, /not completed within 2 s/);
    assert.equal(e.exitStatus, 3);
    return true;
  });
  assert.equal(s.polls, 2);
});

test('other server errors end polling as they are', async () => {
  await assert.rejects(pollUntilDone(server, { polling_code: 'c', interval: 1, expires_in: 60 }, script(['invalid_token']).opts), MytokenServerError);
});
