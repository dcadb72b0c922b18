// The provider's sign-in flows, end to end over HTTP: discovery, code + PKCE, refresh rotation, end-session.
// Run: node --test dev/idp/test/   (or npm test --prefix dev/idp)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { accounts, roles, DEV_PASSWORD } from '../accounts.mjs';
import { SPA, REDIRECT_URI, POST_LOGOUT_URI, CLIENT_ID, AUDIENCE, CONTOSO, startIdp, CookieJar,
  request, follow, pkce, authorizeUrl, decodeJwt, verifyWithJwks, openLoginPage, codeFrom,
  tokenRequest, signIn } from './support.mjs';

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
