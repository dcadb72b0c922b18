// The directory for the token API's role sync: an application token by client credentials,
// the role assignments (Graph-shaped, paged), the guard on both, and changing an account's
// roles at run time.
// Run: node --test dev/idp/test/   (or npm test --prefix dev/idp)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { accounts, roles } from '../accounts.mjs';
import { startIdp } from './support.mjs';

const ASSIGNMENTS = '/v1.0/roleManagement/directory/roleAssignments';
const ADMIN = accounts.find((a) => a.username === 'admin@contoso.test');

let idp;
before(async () => { idp = await startIdp(); });
after(async () => { await idp?.stop(); });

async function appToken(secret = 'dev-directory-secret', clientId = 'token-api-directory') {
  const basic = Buffer.from(`${clientId}:${secret}`).toString('base64');
  return fetch(`${idp.issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'https://graph.microsoft.com/.default' }),
  });
}

async function bearer() {
  const res = await appToken();
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.token_type, 'Bearer');
  return body.access_token;
}

/** Every assignment, following `@odata.nextLink` from pages of `top`. */
async function allAssignments(token, top) {
  let url = `${idp.issuer}${ASSIGNMENTS}?$top=${top}`;
  const all = [];
  let pages = 0;
  while (url) {
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    const page = await res.json();
    assert.ok(page.value.length <= top);
    all.push(...page.value);
    url = page['@odata.nextLink'];
    pages += 1;
  }
  return { all, pages };
}

test('the application reads every role assignment, page by page', async () => {
  const token = await bearer();
  const { all, pages } = await allAssignments(token, 3);
  const expected = accounts.reduce((n, a) => n + a.wids.length, 0);
  assert.equal(all.length, expected);
  assert.equal(pages, Math.ceil(expected / 3));
  assert.ok(all.some((a) => a.principalId === ADMIN.oid
    && a.roleDefinitionId === roles['Global administrator'] && a.directoryScopeId === '/'));
});

test('the directory needs the application token', async () => {
  assert.equal((await fetch(`${idp.issuer}${ASSIGNMENTS}`)).status, 401);
  const other = await fetch(`${idp.issuer}${ASSIGNMENTS}`, { headers: { authorization: 'Bearer not-a-token' } });
  assert.equal(other.status, 401);
  assert.equal((await appToken('wrong-secret')).status, 401);
  const spa = await appToken('', 'api-tokens-portal');
  assert.notEqual(spa.status, 200, 'the SPA cannot sign in as the application');
  const set = await fetch(`${idp.issuer}/dev/accounts/${ADMIN.oid}/roles`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ wids: [] }),
  });
  assert.equal(set.status, 401);
});

test("an account's roles change at run time", async () => {
  const token = await bearer();
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const reader = roles['Security reader'];
  const set = await fetch(`${idp.issuer}/dev/accounts/${ADMIN.oid}/roles`, {
    method: 'POST', headers: auth, body: JSON.stringify({ wids: [reader] }),
  });
  assert.equal(set.status, 204);
  const { all } = await allAssignments(token, 100);
  assert.deepEqual(all.filter((a) => a.principalId === ADMIN.oid).map((a) => a.roleDefinitionId), [reader]);
  const bad = await fetch(`${idp.issuer}/dev/accounts/${ADMIN.oid}/roles`, { method: 'POST', headers: auth, body: '{"wids": 1}' });
  assert.equal(bad.status, 400);
  const unknown = await fetch(`${idp.issuer}/dev/accounts/nobody/roles`, { method: 'POST', headers: auth, body: '{"wids": []}' });
  assert.equal(unknown.status, 404);
});
