// Helpers of the provider's tests: start it, talk to it over HTTP with plain fetch, manual
// redirects and a hand-kept cookie jar, like a browser would do.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';

import { accounts, roles, DEV_PASSWORD } from '../accounts.mjs';


export const SERVER = fileURLToPath(new URL('../server.mjs', import.meta.url));
export const SPA = 'http://127.0.0.1:8080';
export const REDIRECT_URI = `${SPA}/auth/callback`;
export const POST_LOGOUT_URI = `${SPA}/`;
export const CLIENT_ID = 'api-tokens-portal';
export const AUDIENCE = 'api://token-api';
export const SCOPE = `openid profile offline_access ${AUDIENCE}/access_as_user`;
export const CONTOSO = '11111111-1111-4111-8111-111111111111';

// ---- helpers -----------------------------------------------------------------------------

export async function startIdp(extraEnv = {}) {
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
export class CookieJar {
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
export async function request(jar, url, { method = 'GET', form, headers = {} } = {}) {
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
export async function follow(jar, issuer, url, init) {
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

export function pkce() {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

export function authorizeUrl(issuer, { challenge, state, nonce, redirectUri = REDIRECT_URI, extra = {} }) {
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

export function decodeJwt(jwt) {
  const [h, p, s] = jwt.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url')),
    payload: JSON.parse(Buffer.from(p, 'base64url')),
    signingInput: `${h}.${p}`,
    signature: Buffer.from(s, 'base64url'),
  };
}

export async function verifyWithJwks(jwt, jwksUri) {
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
export async function openLoginPage(jar, issuer, params) {
  const { res, url, location } = await follow(jar, issuer, authorizeUrl(issuer, params));
  assert.equal(location, undefined, `expected the login page, got a redirect to ${location}`);
  assert.equal(res.status, 200);
  assert.match(url, /\/interaction\/[^/]+$/);
  return { url, html: await res.text() };
}

export function codeFrom(location, state) {
  assert.ok(location?.startsWith(`${REDIRECT_URI}?`), `redirected to the SPA: ${location}`);
  const q = new URL(location).searchParams;
  assert.equal(q.get('error'), null, `no error: ${q.get('error')} ${q.get('error_description')}`);
  assert.equal(q.get('state'), state);
  assert.ok(q.get('code'));
  return q.get('code');
}

export async function tokenRequest(issuer, form, origin = SPA) {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
    body: new URLSearchParams(form).toString(),
  });
  return { res, body: await res.json() };
}

/** Whole sign-in through the typed form (or the pick buttons); returns the token response. */
export async function signIn(issuer, username, { jar = new CookieJar(), pick = false } = {}) {
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
