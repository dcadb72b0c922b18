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

/** Every assignment of role `wid`, following `@odata.nextLink` from pages of `top`. */
async function assignmentsOf(token, wid, top) {
  const query = new URLSearchParams({ $filter: `roleDefinitionId eq '${wid}'`, $top: String(top) });
  let url = `${idp.issuer}${ASSIGNMENTS}?${query}`;
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

test("the application reads a role's assignments, page by page", async () => {
  const token = await bearer();
  const admin = roles['Global administrator'];
  const { all, pages } = await assignmentsOf(token, admin, 1);
  const holders = accounts.filter((a) => a.wids.includes(admin)).map((a) => a.oid);
  assert.ok(holders.length >= 2);
  assert.equal(pages, holders.length);
  assert.deepEqual(all.map((a) => a.principalId), holders);
  assert.ok(all.every((a) => a.roleDefinitionId === admin && a.directoryScopeId === '/'));
  const expanded = await fetch(`${idp.issuer}${ASSIGNMENTS}?$filter=${encodeURIComponent(`roleDefinitionId eq '${admin}'`)}&$expand=principal`,
    { headers: { authorization: `Bearer ${token}` } });
  const principals = (await expanded.json()).value.map((a) => a.principal);
  assert.deepEqual(principals, holders.map((id) => ({ '@odata.type': '#microsoft.graph.user', id })));
  const unfiltered = await fetch(`${idp.issuer}${ASSIGNMENTS}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(unfiltered.status, 400, 'Graph lists assignments only by role or principal');
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
  const held = async (wid) => (await assignmentsOf(token, wid, 100)).all.some((a) => a.principalId === ADMIN.oid);
  assert.equal(await held(reader), true);
  assert.equal(await held(roles['Global administrator']), false);
  const bad = await fetch(`${idp.issuer}/dev/accounts/${ADMIN.oid}/roles`, { method: 'POST', headers: auth, body: '{"wids": 1}' });
  assert.equal(bad.status, 400);
  const unknown = await fetch(`${idp.issuer}/dev/accounts/nobody/roles`, { method: 'POST', headers: auth, body: '{"wids": []}' });
  assert.equal(unknown.status, 404);
});
