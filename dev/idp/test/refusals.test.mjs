// What the provider refuses or guards, and its other endpoints: wrong passwords, unregistered redirects, PKCE, CORS, code replay, userinfo, signals, cancel, login_hint, MSAL-style requests.
// Run: node --test dev/idp/test/   (or npm test --prefix dev/idp)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DEV_PASSWORD } from '../accounts.mjs';
import { SPA, REDIRECT_URI, CLIENT_ID, AUDIENCE, SCOPE, startIdp, CookieJar, request, follow, pkce,
  authorizeUrl, decodeJwt, openLoginPage, codeFrom, tokenRequest, signIn } from './support.mjs';

let idp;
before(async () => { idp = await startIdp(); });
after(async () => { await idp?.stop(); });

test('a wrong password is refused with a readable error, then the right one works', async () => {
  const jar = new CookieJar();
  const { challenge } = pkce();
  const { url } = await openLoginPage(jar, idp.issuer, { challenge, state: 's', nonce: 'n' });
  const bad = await request(jar, `${url}/login`, { method: 'POST', form: { username: 'reader@contoso.test', password: 'wrong' } });
  assert.equal(bad.status, 401);
  assert.equal(bad.headers.get('location'), null);
  const html = await bad.text();
  assert.match(html, /id="error"[^>]*>Wrong username or password/);
  assert.match(html, /id="username"[^>]*value="reader@contoso.test"/);
  const unknown = await request(jar, `${url}/login`, { method: 'POST', form: { username: 'nobody@contoso.test', password: DEV_PASSWORD } });
  assert.equal(unknown.status, 401);
  assert.match(await unknown.text(), /Wrong username or password/);
  const { location } = await follow(jar, idp.issuer, `${url}/login`, {
    method: 'POST', form: { username: 'Reader@Contoso.test', password: DEV_PASSWORD },
  });
  codeFrom(location, 's');
});

test('an unregistered redirect_uri is refused without redirecting', async () => {
  const { challenge } = pkce();
  for (const redirectUri of ['http://127.0.0.1:8080/auth/callback/', 'http://evil.test/auth/callback', 'http://127.0.0.1:8081/auth/callback']) {
    const res = await request(new CookieJar(), authorizeUrl(idp.issuer, { challenge, state: 's', nonce: 'n', redirectUri }));
    assert.equal(res.status, 400, redirectUri);
    assert.equal(res.headers.get('location'), null);
    assert.match(await res.text(), /redirect_uri/);
  }
});

test('PKCE is required and checked', async () => {
  // No code_challenge: refused back to the SPA with invalid_request.
  const { location } = await follow(new CookieJar(), idp.issuer, authorizeUrl(idp.issuer, { state: 's', nonce: 'n' }));
  const q = new URL(location).searchParams;
  assert.equal(q.get('error'), 'invalid_request');
  assert.match(q.get('error_description'), /PKCE/);

  // A wrong code_verifier: the code is refused.
  const jar = new CookieJar();
  const { challenge } = pkce();
  const { url } = await openLoginPage(jar, idp.issuer, { challenge, state: 's', nonce: 'n' });
  const { location: loc } = await follow(jar, idp.issuer, `${url}/pick`, { method: 'POST', form: { username: 'reader@contoso.test' } });
  const code = codeFrom(loc, 's');
  const r = await tokenRequest(idp.issuer, {
    grant_type: 'authorization_code', code, code_verifier: pkce().verifier, client_id: CLIENT_ID, redirect_uri: REDIRECT_URI,
  });
  assert.equal(r.res.status, 400);
  assert.equal(r.body.error, 'invalid_grant');
});

test('CORS: a foreign origin gets no allow-origin on the token endpoint', async () => {
  const res = await fetch(`${idp.issuer}/token`, {
    method: 'OPTIONS',
    headers: { origin: 'http://evil.test', 'access-control-request-method': 'POST' },
  });
  // oidc-provider answers every preflight (the client is not known yet) and checks the
  // origin on the request itself: refused, without an allow-origin header.
  assert.ok(res.status < 300);
  const { res: post, body } = await tokenRequest(idp.issuer, { grant_type: 'refresh_token', refresh_token: 'x', client_id: CLIENT_ID }, 'http://evil.test');
  assert.equal(post.status, 400);
  assert.equal(body.error, 'invalid_request');
  assert.match(body.error_description, /origin/);
  assert.equal(post.headers.get('access-control-allow-origin'), null);
});

test('a code is single use; replaying it revokes what it gave', async () => {
  const jar = new CookieJar();
  const { verifier, challenge } = pkce();
  const { url } = await openLoginPage(jar, idp.issuer, { challenge, state: 's', nonce: 'n' });
  const { location } = await follow(jar, idp.issuer, `${url}/pick`, { method: 'POST', form: { username: 'globalreader@contoso.test' } });
  const form = { grant_type: 'authorization_code', code: codeFrom(location, 's'), code_verifier: verifier, client_id: CLIENT_ID, redirect_uri: REDIRECT_URI };
  const first = await tokenRequest(idp.issuer, form);
  assert.equal(first.res.status, 200);
  const again = await tokenRequest(idp.issuer, form);
  assert.equal(again.res.status, 400);
  assert.equal(again.body.error, 'invalid_grant');
  const r = await tokenRequest(idp.issuer, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token, client_id: CLIENT_ID });
  assert.equal(r.body.error, 'invalid_grant');
});

test('userinfo and revocation answer the SPA origin', async () => {
  const { tokens } = await signIn(idp.issuer, 'operator@contoso.test');
  const pre = await fetch(`${idp.issuer}/me`, {
    method: 'OPTIONS',
    headers: { origin: SPA, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
  });
  assert.equal(pre.headers.get('access-control-allow-origin'), SPA);
  const rev = await fetch(`${idp.issuer}/token/revocation`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: SPA },
    body: new URLSearchParams({ token: tokens.refresh_token, token_type_hint: 'refresh_token', client_id: CLIENT_ID }).toString(),
  });
  assert.equal(rev.status, 200);
  assert.equal(rev.headers.get('access-control-allow-origin'), SPA);
  const r = await tokenRequest(idp.issuer, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: CLIENT_ID });
  assert.equal(r.body.error, 'invalid_grant', 'a revoked refresh token is refused');
});

test('exits cleanly on SIGTERM and SIGINT', async () => {
  for (const signal of ['SIGTERM', 'SIGINT']) {
    const other = await startIdp();
    const res = await fetch(`${other.issuer}/jwks`);
    assert.equal(res.status, 200);
    assert.equal(await other.stop(signal), 0, signal);
  }
});

test('cancel on the login page returns access_denied to the SPA', async () => {
  const jar = new CookieJar();
  const { challenge } = pkce();
  const { url, html } = await openLoginPage(jar, idp.issuer, { challenge, state: 'c', nonce: 'n' });
  assert.match(html, /id="cancel"/);
  const { location } = await follow(jar, idp.issuer, `${url}/abort`, { method: 'POST', form: {} });
  const q = new URL(location).searchParams;
  assert.ok(location.startsWith(`${REDIRECT_URI}?`));
  assert.equal(q.get('error'), 'access_denied');
  assert.equal(q.get('state'), 'c');
});

test('login_hint pre-fills the username', async () => {
  const { challenge } = pkce();
  const { html } = await openLoginPage(new CookieJar(), idp.issuer, {
    challenge, state: 's', nonce: 'n', extra: { login_hint: 'operator@contoso.test' },
  });
  assert.match(html, /id="username"[^>]*value="operator@contoso.test"/);
});

test('MSAL-style token requests with scope (incl. offline_access) on code exchange and refresh', async () => {
  const jar = new CookieJar();
  const { verifier, challenge } = pkce();
  const { url } = await openLoginPage(jar, idp.issuer, { challenge, state: 's', nonce: 'n', extra: { prompt: 'login' } });
  const { location } = await follow(jar, idp.issuer, `${url}/pick`, { method: 'POST', form: { username: 'admin@fabrikam.test' } });
  const t = await tokenRequest(idp.issuer, {
    grant_type: 'authorization_code', code: codeFrom(location, 's'), code_verifier: verifier,
    client_id: CLIENT_ID, redirect_uri: REDIRECT_URI, scope: SCOPE,
  });
  assert.equal(t.res.status, 200, JSON.stringify(t.body));
  assert.ok(t.body.refresh_token, 'refresh token even with prompt=login');
  let rt = t.body.refresh_token;
  for (const scope of [SCOPE, `openid profile ${AUDIENCE}/access_as_user`, undefined]) {
    const r = await tokenRequest(idp.issuer, {
      grant_type: 'refresh_token', refresh_token: rt, client_id: CLIENT_ID, ...(scope ? { scope } : {}),
    });
    assert.equal(r.res.status, 200, `${scope}: ${JSON.stringify(r.body)}`);
    const at = decodeJwt(r.body.access_token).payload;
    assert.equal(at.aud, AUDIENCE);
    assert.equal(at.tid, '22222222-2222-4222-8222-222222222222');
    assert.equal(at.scp, 'access_as_user');
    assert.ok(r.body.id_token);
    rt = r.body.refresh_token;
  }
});
