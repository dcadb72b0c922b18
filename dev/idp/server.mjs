// Local OpenID provider for development and tests of the API tokens portal.
// DEVELOPMENT ONLY: seeded accounts share a public password, keys live in memory.
//
// Start: node dev/idp/server.mjs   (configuration through IDP_* environment variables,
// see README.md). Prints exactly one line to stdout when listening: `ready <issuer>`.

import http from 'node:http';
import crypto from 'node:crypto';

// stdout carries exactly one line (`ready <issuer>`); oidc-provider prints notices with
// console.info, so send every console message to stderr. This runs before oidc-provider
// is imported (dynamic import below).
for (const level of ['log', 'info', 'debug']) {
  console[level] = (...args) => console.error(...args);
}

const { default: Provider, errors } = await import('oidc-provider');
const { findByOid } = await import('./accounts.mjs');
const { logoutPage, errorPage, postLogoutPage } = await import('./views.mjs');
const { interactionHandler, readForm, sendHtml } = await import('./interactions.mjs');
const { DIRECTORY_AUDIENCE, directoryClient, directoryResourceServer, handleDirectory } = await import('./directory.mjs');

function list(value, fallback) {
  const raw = value === undefined || value === '' ? fallback : value;
  return raw.split(',').map((s) => s.trim()).filter(Boolean);
}

function seconds(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`${name} must be a positive whole number of seconds, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
}

const env = process.env;
const port = env.IDP_PORT === undefined || env.IDP_PORT === '' ? 9090 : Number(env.IDP_PORT);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`IDP_PORT must be a port number (0 = any free port), got ${JSON.stringify(env.IDP_PORT)}`);
  process.exit(2);
}
const clientId = env.IDP_CLIENT_ID || 'api-tokens-portal';
const redirectUris = list(env.IDP_REDIRECT_URIS, 'http://127.0.0.1:8080/auth/callback');
const postLogoutRedirectUris = list(env.IDP_POST_LOGOUT_REDIRECT_URIS, 'http://127.0.0.1:8080/');
const corsOrigins = new Set(
  list(env.IDP_CORS_ORIGINS, redirectUris.map((u) => new URL(u).origin).join(',')),
);
const audience = env.IDP_AUDIENCE || 'api://token-api';
const apiScopeName = env.IDP_SCOPE || 'access_as_user';
// The scope value the SPA requests, Entra style: `<audience>/<scope name>`.
const apiScope = `${audience}/${apiScopeName}`;
const accessTokenTtl = seconds('IDP_ACCESS_TOKEN_TTL', 3600);
const refreshTokenTtl = seconds('IDP_REFRESH_TOKEN_TTL', 86400);
const sessionTtl = Math.max(refreshTokenTtl, 14 * 24 * 3600);
// The token API's directory sync (client credentials; see directory.mjs).
const directory = directoryClient(env);

// Listen first so that IDP_PORT=0 knows its port before the issuer is fixed.
const server = http.createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, '127.0.0.1', resolve);
});
const issuer = (env.IDP_ISSUER || `http://127.0.0.1:${server.address().port}`).replace(/\/+$/, '');

// A fresh RSA signing key at every start (the API refreshes its JWKS on an unknown kid).
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = {
  ...privateKey.export({ format: 'jwk' }),
  kid: crypto.randomBytes(8).toString('hex'),
  alg: 'RS256',
  use: 'sig',
};

function entraClaims(account) {
  return {
    tid: account.tid,
    oid: account.oid,
    name: account.name,
    preferred_username: account.username,
    wids: account.wids,
  };
}

const configuration = {
  clients: [{
    client_id: clientId,
    client_name: 'API tokens portal (local development)',
    application_type: 'web',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: redirectUris,
    post_logout_redirect_uris: postLogoutRedirectUris,
  }, directory],
  jwks: { keys: [jwk] },
  cookies: {
    keys: [crypto.randomBytes(32).toString('base64url')],
  },
  // ID tokens and userinfo: Entra-shaped claims. tid/oid/wids always (openid), the names
  // with `profile`.
  claims: {
    openid: ['sub', 'tid', 'oid', 'wids'],
    profile: ['name', 'preferred_username'],
  },
  // Put the scope's claims in the ID token of the code flow too (Entra does).
  conformIdTokenClaims: false,
  scopes: ['openid', 'profile', 'offline_access'],
  responseTypes: ['code'],
  async findAccount(ctx, sub) {
    const account = findByOid(sub);
    if (!account) return undefined;
    return {
      accountId: account.oid,
      async claims() {
        return { sub: account.oid, ...entraClaims(account) };
      },
    };
  },
  pkce: {
    // Public clients always need PKCE; only S256 is offered by oidc-provider 9.
    required: () => true,
  },
  clientBasedCORS(ctx, origin) {
    return corsOrigins.has(origin);
  },
  features: {
    devInteractions: { enabled: false },
    revocation: { enabled: true },
    clientCredentials: { enabled: true },
    userinfo: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: async (ctx, form) => {
        ctx.type = 'html';
        ctx.body = logoutPage({ form, clientName: ctx.oidc.client?.clientName });
      },
      postLogoutSuccessSource: async (ctx) => {
        ctx.type = 'html';
        ctx.body = postLogoutPage();
      },
    },
    resourceIndicators: {
      enabled: true,
      // The SPA asks for `<audience>/<scope>` in `scope` and sends no `resource`
      // parameter (like MSAL.js against Entra ID): map that scope to the API resource.
      async defaultResource(ctx) {
        if (ctx.oidc.client?.clientId === directory.client_id) return DIRECTORY_AUDIENCE;
        const requested = new Set(String(ctx.oidc.params.scope ?? '').split(' '));
        return requested.has(apiScope) ? audience : undefined;
      },
      // At the token endpoint (code exchange, refresh) keep issuing for the granted API.
      async useGrantedResource() {
        return true;
      },
      async getResourceServerInfo(ctx, resourceIndicator, client) {
        const directoryClient = client.clientId === directory.client_id;
        if (directoryClient && resourceIndicator === DIRECTORY_AUDIENCE) {
          return directoryResourceServer(accessTokenTtl);
        }
        if (directoryClient || resourceIndicator !== audience) {
          throw new errors.InvalidTarget(`unknown resource ${resourceIndicator}`);
        }
        return {
          scope: apiScope,
          audience,
          accessTokenTTL: accessTokenTtl,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  async extraTokenClaims(ctx, token) {
    if (token.kind !== 'AccessToken') return undefined;
    const account = findByOid(token.accountId);
    if (!account) return undefined;
    const prefix = `${audience}/`;
    const scp = String(token.scope ?? '')
      .split(' ')
      .filter((s) => s.startsWith(prefix))
      .map((s) => s.slice(prefix.length))
      .join(' ');
    return { ...entraClaims(account), scp };
  },
  // Refresh tokens for this client whether or not `offline_access` survived (oidc-provider
  // drops it when `prompt` lacks `consent`).
  async issueRefreshToken(ctx, client) {
    return client.grantTypeAllowed('refresh_token');
  },
  // Tokens die with the provider session: after end-session the refresh token is refused.
  async expiresWithSession() {
    return true;
  },
  // Rotate at every use (public client): a reused refresh token is refused and revokes the
  // grant.
  rotateRefreshToken: () => true,
  // First-party client: consent is automatic. Reuse the grant from the interaction result or
  // the session, create one otherwise, and make it cover what this request asks for.
  async loadExistingGrant(ctx) {
    const { oidc } = ctx;
    const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
    let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
    if (!grant) {
      grant = new oidc.provider.Grant({ clientId: oidc.client.clientId, accountId: oidc.session.accountId });
    }
    const oidcScopes = [...oidc.requestParamOIDCScopes];
    if (oidcScopes.length) grant.addOIDCScope(oidcScopes.join(' '));
    const claims = [...oidc.requestParamClaims];
    if (claims.length) grant.addOIDCClaims(claims);
    for (const [indicator, resourceServer] of Object.entries(oidc.resourceServers ?? {})) {
      const wanted = [...oidc.requestParamScopes].filter((s) => resourceServer.scopes.has(s));
      if (wanted.length) grant.addResourceScope(indicator, wanted.join(' '));
    }
    await grant.save();
    return grant;
  },
  ttl: {
    AccessToken: () => accessTokenTtl,
    ClientCredentials: () => accessTokenTtl,
    IdToken: () => accessTokenTtl,
    AuthorizationCode: () => 60,
    Interaction: () => 3600,
    Session: () => sessionTtl,
    Grant: () => sessionTtl,
    RefreshToken(ctx, token, client) {
      // A rotated refresh token keeps the remaining life of the one it replaces, so the
      // chain has a fixed life (Entra gives SPAs 24 h).
      const rotated = ctx?.oidc?.entities?.RotatedRefreshToken;
      if (rotated) return rotated.remainingTTL;
      return refreshTokenTtl;
    },
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = errorPage(out);
  },
};

const provider = new Provider(issuer, configuration);
provider.proxy = Boolean(env.IDP_ISSUER);
const providerCallback = provider.callback();

const handleInteraction = interactionHandler({
  provider,
  clientId,
  clientName: configuration.clients[0].client_name,
});

// MSAL.js (and Entra ID, which requires `scope` on a refresh) send
// `scope=openid profile offline_access <api scope>` at the token endpoint. oidc-provider
// never keeps `offline_access` on a grant unless `prompt=consent` was sent, and refuses a
// refresh asking for a scope the refresh token lacks. A refresh token is always issued to
// this client anyway, so `offline_access` means nothing here: drop it from the token
// request's `scope` before oidc-provider reads it (it accepts a pre-read body as req.body).
async function dropOfflineAccessScope(req) {
  const params = await readForm(req);
  const scope = params.get('scope');
  if (scope !== null) {
    const kept = scope.split(' ').filter((s) => s && s !== 'offline_access');
    if (kept.length) params.set('scope', kept.join(' '));
    else params.delete('scope');
  }
  req.body = params.toString();
}

server.on('request', (req, res) => {
  const url = new URL(req.url, issuer);
  if (req.method === 'POST' && url.pathname === '/token'
    && String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    dropOfflineAccessScope(req).then(
      () => providerCallback(req, res),
      () => {
        res.statusCode = 400;
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ error: 'invalid_request', error_description: 'could not read the request body' }));
      },
    );
    return;
  }
  if (handleDirectory(req, res, url, { provider, issuer, clientId: directory.client_id })) return;
  if (url.pathname.startsWith('/interaction/')) {
    handleInteraction(req, res, url).catch((err) => {
      console.error('interaction error', err);
      if (!res.headersSent) sendHtml(res, 500, errorPage({ error: 'server_error' }));
      else res.end();
    });
    return;
  }
  providerCallback(req, res);
});

provider.on('server_error', (ctx, err) => console.error('server_error', err));

let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.error(`idp: ${signal}, shutting down`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));

process.stdout.write(`ready ${issuer}\n`);
