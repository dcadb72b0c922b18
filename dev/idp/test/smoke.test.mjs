// Smoke tests of the local OpenID provider, end to end over HTTP with plain fetch:
// manual redirects and a hand-kept cookie jar, like a browser would do.
// Run: node --test dev/idp/test/   (or npm test --prefix dev/idp)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';

import { accounts, roles, DEV_PASSWORD } from '../accounts.mjs';

const SERVER = fileURLToPath(new URL('../server.mjs', import.meta.url));
const SPA = 'http://127.0.0.1:8080';
const REDIRECT_URI = `${SPA}/auth/callback`;
const POST_LOGOUT_URI = `${SPA}/`;
const CLIENT_ID = 'api-tokens-portal';
const AUDIENCE = 'api://token-api';
const SCOPE = `openid profile offline_access ${AUDIENCE}/access_as_user`;
const CONTOSO = '11111111-1111-4111-8111-111111111111';

// ---- helpers -----------------------------------------------------------------------------

async function startIdp(extraEnv = {}) {
  const child = spawn(process.execPath, [SERVER], {
    env: {
      ...process.env,
      IDP_PORT: '0',
      IDP_REDIRECT_URIS: REDIRECT_URI,
      IDP_POST_LOGOUT_REDIRECT_URIS: POST_LOGOUT_URI,
      IDP_CORS_ORIGINS: SPA,
      IDP_ACCESS_TOKEN_TTL: '15',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
  const issuer = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`provider not ready in 15 s; stderr:\n${stderr}`)), 15000);
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d;
      const m = stdout.match(/^ready (\S+)\n/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`provider exited ${code}; stderr:\n${stderr}`)); });
  });
  return {
    issuer,
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = await once(child, 'exit');
      return code;
    },
  };
}

/** A browser-like cookie jar: name, value and path per cookie, host-only. */
class CookieJar {
  #cookies = new Map(); // key `${path}\t${name}` -> {name, value, path}

  store(response, url) {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = new URL(url).pathname.replace(/\/[^/]*$/, '') || '/';
      let expired = false;
      for (const attr of attrs) {
        const [k, v = ''] = attr.split('=');
        if (k.toLowerCase() === 'path') path = v;
        if (k.toLowerCase() === 'expires' && Date.parse(v) <= Date.now()) expired = true;
        if (k.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
      }
      const key = `${path}\t${name}`;
      if (expired || value === '') this.#cookies.delete(key);
      else this.#cookies.set(key, { name, value, path });
    }
  }

  header(url) {
    const { pathname } = new URL(url);
    return [...this.#cookies.values()]
      .filter((c) => pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }
}

/** One request, no redirect following, cookies from/to the jar. */
async function request(jar, url, { method = 'GET', form, headers = {} } = {}) {
  const h = { ...headers };
  const cookie = jar?.header(url);
  if (cookie) h.cookie = cookie;
  let body;
  if (form) {
    body = new URLSearchParams(form).toString();
    h['content-type'] = 'application/x-www-form-urlencoded';
  }
  const res = await fetch(url, { method, headers: h, body, redirect: 'manual' });
  jar?.store(res, url);
  return res;
}

/** Follows redirects on the provider; stops at the first one that leaves it (or a page). */
async function follow(jar, issuer, url, init) {
  let res = await request(jar, url, init);
  let current = url;
  for (let i = 0; i < 10; i += 1) {
    if (![302, 303].includes(res.status)) return { res, url: current };
    const next = new URL(res.headers.get('location'), current).href;
    if (!next.startsWith(`${issuer}/`)) return { res, url: current, location: next };
    await res.arrayBuffer();
    current = next;
    res = await request(jar, next);
  }
  throw new Error('too many redirects');
}

function pkce() {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

function authorizeUrl(issuer, { challenge, state, nonce, redirectUri = REDIRECT_URI, extra = {} }) {
  const u = new URL(`${issuer}/auth`);
  const params = {
    client_id: CLIENT_ID,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: SCOPE,
    state,
    nonce,
    ...(challenge ? { code_challenge: challenge, code_challenge_method: 'S256' } : {}),
    ...extra,
  };
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.href;
}

function decodeJwt(jwt) {
  const [h, p, s] = jwt.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url')),
    payload: JSON.parse(Buffer.from(p, 'base64url')),
    signingInput: `${h}.${p}`,
    signature: Buffer.from(s, 'base64url'),
  };
}

async function verifyWithJwks(jwt, jwksUri) {
  const { header, signingInput, signature } = decodeJwt(jwt);
  const jwks = await (await fetch(jwksUri)).json();
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, `kid ${header.kid} is in the JWKS`);
  assert.equal(jwk.kty, 'RSA');
  assert.equal(jwk.d, undefined, 'JWKS publishes no private part');
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  return crypto.verify('sha256', Buffer.from(signingInput), key, signature);
}

/** Runs the authorization request up to the login page; returns the page's URL and HTML. */
async function openLoginPage(jar, issuer, params) {
  const { res, url, location } = await follow(jar, issuer, authorizeUrl(issuer, params));
  assert.equal(location, undefined, `expected the login page, got a redirect to ${location}`);
  assert.equal(res.status, 200);
  assert.match(url, /\/interaction\/[^/]+$/);
  return { url, html: await res.text() };
}

function codeFrom(location, state) {
  assert.ok(location?.startsWith(`${REDIRECT_URI}?`), `redirected to the SPA: ${location}`);
  const q = new URL(location).searchParams;
  assert.equal(q.get('error'), null, `no error: ${q.get('error')} ${q.get('error_description')}`);
  assert.equal(q.get('state'), state);
  assert.ok(q.get('code'));
  return q.get('code');
}

async function tokenRequest(issuer, form, origin = SPA) {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
    body: new URLSearchParams(form).toString(),
  });
  return { res, body: await res.json() };
}

/** Whole sign-in through the typed form (or the pick buttons); returns the token response. */
async function signIn(issuer, username, { jar = new CookieJar(), pick = false } = {}) {
  const { verifier, challenge } = pkce();
  const state = crypto.randomUUID();
  const nonce = crypto.randomUUID();
  const { url } = await openLoginPage(jar, issuer, { challenge, state, nonce });
  const { location } = pick
    ? await follow(jar, issuer, `${url}/pick`, { method: 'POST', form: { username } })
    : await follow(jar, issuer, `${url}/login`, { method: 'POST', form: { username, password: DEV_PASSWORD } });
  const code = codeFrom(location, state);
  const { res, body } = await tokenRequest(issuer, {
    grant_type: 'authorization_code',
    code,
    code_verifier: verifier,
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
  });
  assert.equal(res.status, 200, JSON.stringify(body));
  return { jar, tokens: body, nonce, res };
}

// ---- tests -------------------------------------------------------------------------------

let idp;
before(async () => { idp = await startIdp(); });
after(async () => { await idp?.stop(); });

test('prints exactly `ready <issuer>` and serves discovery with CORS', async () => {
  assert.match(idp.issuer, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(idp.stdout(), `ready ${idp.issuer}\n`);
  const res = await fetch(`${idp.issuer}/.well-known/openid-configuration`, { headers: { origin: SPA } });
  assert.equal(res.status, 200);
  assert.ok(['*', SPA].includes(res.headers.get('access-control-allow-origin')));
  const d = await res.json();
  assert.equal(d.issuer, idp.issuer);
  assert.deepEqual(d.code_challenge_methods_supported, ['S256']);
  assert.ok(d.end_session_endpoint && d.revocation_endpoint && d.userinfo_endpoint);
  const jwks = await fetch(d.jwks_uri, { headers: { origin: SPA } });
  assert.ok(['*', SPA].includes(jwks.headers.get('access-control-allow-origin')));
});

test('code + PKCE for the security reader via the login form, refresh rotation, end-session', async () => {
  const reader = accounts.find((a) => a.username === 'reader@contoso.test');
  const jar = new CookieJar();
  const { verifier, challenge } = pkce();
  const state = crypto.randomUUID();
  const nonce = crypto.randomUUID();

  // The login page: typed form and one pick button per seeded account.
  const { url, html } = await openLoginPage(jar, idp.issuer, { challenge, state, nonce });
  for (const id of ['username', 'password', 'sign-in']) assert.match(html, new RegExp(`id="${id}"`));
  for (const a of accounts) assert.ok(html.includes(`data-username="${a.username}"`), a.username);
  assert.doesNotMatch(html, /<script|https?:\/\/(?!127\.0\.0\.1)/i, 'no scripts, no external assets');

  const { location } = await follow(jar, idp.issuer, `${url}/login`, {
    method: 'POST', form: { username: reader.username, password: DEV_PASSWORD },
  });
  const code = codeFrom(location, state);
  assert.equal(new URL(location).searchParams.get('iss'), idp.issuer);

  // Code exchange, with CORS for the SPA origin.
  const { res, body: tokens } = await tokenRequest(idp.issuer, {
    grant_type: 'authorization_code', code, code_verifier: verifier, client_id: CLIENT_ID, redirect_uri: REDIRECT_URI,
  });
  assert.equal(res.status, 200, JSON.stringify(tokens));
  assert.equal(res.headers.get('access-control-allow-origin'), SPA);
  assert.equal(tokens.token_type, 'Bearer');
  assert.equal(tokens.expires_in, 15);
  assert.ok(tokens.refresh_token, 'a refresh token without prompt=consent');
  assert.ok(tokens.id_token);

  // The access token: a JWT for the API with Entra-shaped claims, signed by a JWKS key.
  const at = decodeJwt(tokens.access_token);
  assert.equal(at.header.alg, 'RS256');
  assert.equal(at.payload.iss, idp.issuer);
  assert.equal(at.payload.aud, AUDIENCE);
  assert.equal(at.payload.tid, CONTOSO);
  assert.equal(at.payload.oid, reader.oid);
  assert.equal(at.payload.sub, reader.oid);
  assert.equal(at.payload.name, reader.name);
  assert.equal(at.payload.preferred_username, reader.username);
  assert.deepEqual(at.payload.wids, [roles['Security reader']]);
  assert.equal(at.payload.scp, 'access_as_user');
  assert.equal(at.payload.exp - at.payload.iat, 15);
  assert.equal(await verifyWithJwks(tokens.access_token, `${idp.issuer}/jwks`), true);
  // A tampered token does not verify.
  const forged = tokens.access_token.replace(/\.[^.]+\./, `.${Buffer.from(JSON.stringify({ ...at.payload, wids: [roles['Global administrator']] })).toString('base64url')}.`);
  assert.equal(await verifyWithJwks(forged, `${idp.issuer}/jwks`), false);

  // The ID token carries the same identity claims and the nonce.
  const idt = decodeJwt(tokens.id_token);
  assert.equal(await verifyWithJwks(tokens.id_token, `${idp.issuer}/jwks`), true);
  assert.equal(idt.payload.iss, idp.issuer);
  assert.equal(idt.payload.aud, CLIENT_ID);
  assert.equal(idt.payload.nonce, nonce);
  assert.equal(idt.payload.tid, CONTOSO);
  assert.equal(idt.payload.oid, reader.oid);
  assert.equal(idt.payload.name, reader.name);
  assert.equal(idt.payload.preferred_username, reader.username);
  assert.deepEqual(idt.payload.wids, [roles['Security reader']]);

  // A second authorization in the same browser session is silent (auto-consent, no loop).
  {
    const p = pkce();
    const s2 = crypto.randomUUID();
    const { location: loc2 } = await follow(jar, idp.issuer, authorizeUrl(idp.issuer, {
      challenge: p.challenge, state: s2, nonce: 'n2', extra: { prompt: 'none', login_hint: reader.username },
    }));
    codeFrom(loc2, s2);
  }

  // CORS preflight on the token endpoint: allowed origin yes, others no.
  const preflight = await fetch(`${idp.issuer}/token`, {
    method: 'OPTIONS',
    headers: { origin: SPA, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  });
  assert.ok(preflight.status < 300, `preflight ${preflight.status}`);
  assert.equal(preflight.headers.get('access-control-allow-origin'), SPA);
  assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);

  // Refresh with rotation: a new refresh token; the old one is refused afterwards.
  const r1 = await tokenRequest(idp.issuer, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: CLIENT_ID });
  assert.equal(r1.res.status, 200, JSON.stringify(r1.body));
  assert.equal(r1.res.headers.get('access-control-allow-origin'), SPA);
  assert.ok(r1.body.refresh_token);
  assert.notEqual(r1.body.refresh_token, tokens.refresh_token);
  const at2 = decodeJwt(r1.body.access_token).payload;
  assert.equal(at2.aud, AUDIENCE);
  assert.equal(at2.scp, 'access_as_user');
  assert.deepEqual(at2.wids, [roles['Security reader']]);
  assert.notEqual(at2.jti, at.payload.jti);
  assert.ok(r1.body.id_token, 'refresh also renews the ID token');

  // Refresh again with the rotated token (the chain goes on), then the first one is dead.
  const r2 = await tokenRequest(idp.issuer, { grant_type: 'refresh_token', refresh_token: r1.body.refresh_token, client_id: CLIENT_ID });
  assert.equal(r2.res.status, 200, JSON.stringify(r2.body));
  const reuse = await tokenRequest(idp.issuer, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: CLIENT_ID });
  assert.equal(reuse.res.status, 400);
  assert.equal(reuse.body.error, 'invalid_grant');

  // End-session with post_logout_redirect_uri: at most one button, #logout-confirm.
  const endUrl = new URL(`${idp.issuer}/session/end`);
  endUrl.searchParams.set('client_id', CLIENT_ID);
  endUrl.searchParams.set('id_token_hint', r2.body.id_token ?? tokens.id_token);
  endUrl.searchParams.set('post_logout_redirect_uri', POST_LOGOUT_URI);
  endUrl.searchParams.set('state', 'bye');
  const endRes = await request(jar, endUrl.href);
  assert.equal(endRes.status, 200);
  const endHtml = await endRes.text();
  assert.match(endHtml, /id="logout-confirm"/);
  assert.equal((endHtml.match(/<button/g) ?? []).length, 1, 'one button at most');
  const action = endHtml.match(/<form[^>]*action="([^"]+)"/)[1];
  const xsrf = endHtml.match(/name="xsrf" value="([^"]+)"/)[1];
  const confirm = await request(jar, new URL(action, idp.issuer).href, { method: 'POST', form: { xsrf, logout: 'yes' } });
  assert.equal(confirm.status, 303);
  const out = new URL(confirm.headers.get('location'));
  assert.equal(`${out.origin}${out.pathname}`, POST_LOGOUT_URI);
  assert.equal(out.searchParams.get('state'), 'bye');

  // After sign-out the provider session is gone: prompt=none answers login_required.
  const p3 = pkce();
  const { location: loc3 } = await follow(jar, idp.issuer, authorizeUrl(idp.issuer, {
    challenge: p3.challenge, state: 's3', nonce: 'n3', extra: { prompt: 'none' },
  }));
  assert.equal(new URL(loc3).searchParams.get('error'), 'login_required');
});

test('sign-out ends the refresh token too', async () => {
  const { jar, tokens } = await signIn(idp.issuer, 'admin@contoso.test', { pick: true });
  const endUrl = new URL(`${idp.issuer}/session/end`);
  endUrl.searchParams.set('client_id', CLIENT_ID);
  endUrl.searchParams.set('post_logout_redirect_uri', POST_LOGOUT_URI);
  const html = await (await request(jar, endUrl.href)).text();
  const action = html.match(/<form[^>]*action="([^"]+)"/)[1];
  const xsrf = html.match(/name="xsrf" value="([^"]+)"/)[1];
  const confirm = await request(jar, new URL(action, idp.issuer).href, { method: 'POST', form: { xsrf, logout: 'yes' } });
  assert.equal(confirm.status, 303);
  assert.equal(confirm.headers.get('location'), POST_LOGOUT_URI);
  const r = await tokenRequest(idp.issuer, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: CLIENT_ID });
  assert.equal(r.res.status, 400);
  assert.equal(r.body.error, 'invalid_grant');
});

test('every seeded account signs in (pick) with its tenant, oid and roles', async () => {
  for (const account of accounts) {
    const { tokens } = await signIn(idp.issuer, account.username, { pick: true });
    const at = decodeJwt(tokens.access_token).payload;
    assert.equal(at.tid, account.tid, account.username);
    assert.equal(at.oid, account.oid, account.username);
    assert.equal(at.name, account.name, account.username);
    assert.equal(at.preferred_username, account.username);
    assert.deepEqual(at.wids, account.wids, account.username);
    assert.equal(at.scp, 'access_as_user');
  }
});

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
