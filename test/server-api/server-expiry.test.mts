// Local mytoken server: lifetimes of polling codes, transfer codes and pending flows (9.2/23, 9.8/86),
// on a dedicated server with expiresIn: 2.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setClockOffset, startLocalServer } from '../server/index.mjs';
import type { LocalServer } from '../server/index.mjs';
import { api, assertError, assertOk, http } from '../server/testing.mjs';

let server: LocalServer;
let c: ReturnType<typeof api>;
// created up front, checked after the server's clock moved past their lifetime
let pending: Record<string, any>;
let declined: Record<string, any>;
let transferCode: string;
let boundCode: Record<string, any>;

before(async () => {
  server = await startLocalServer({ interval: 1, expiresIn: 2 });
  c = api(server);
  pending = assertOk(await c.startFlow());
  assert.equal(pending.expires_in, 2);
  declined = assertOk(await c.startFlow());
  await server.decline(declined.consent_uri);
  const t = await server.mint();
  transferCode = assertOk(await c.transfer(t.mytoken)).transfer_code;
  boundCode = await server.mint({ response_type: 'transfer_code' });
  assert.equal(boundCode.expires_in, 2);
  setClockOffset(2.3); // 2.3 s later on the server's clock, without waiting for it
});
after(async () => {
  setClockOffset(0);
  await server.close();
});

test('9.2/23 polling a code older than expires_in gives 401 expired_token', async () => {
  assertError(await c.poll(pending.polling_code), 401, 'expired_token', 'polling or transfer code is expired');
});

test('5.8 a declined code keeps answering access_denied after expiry', async () => {
  assertError(await c.poll(declined.polling_code), 401, 'access_denied', 'user declined consent');
});

test('4.2 the consent page of an expired flow is gone (404)', async () => {
  assert.equal((await http(pending.consent_uri)).status, 404);
});

test('9.8/86 exchanging a transfer code after its lifetime gives 401 expired_token', async () => {
  assertError(await c.exchange(transferCode), 401, 'expired_token', 'polling or transfer code is expired');
  assertError(await c.exchange(boundCode.transfer_code), 401, 'expired_token', 'polling or transfer code is expired');
});
