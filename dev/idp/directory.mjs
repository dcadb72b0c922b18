// The directory of the local provider, shaped like Microsoft Graph for the token API's role
// sync: a confidential client that gets an application token by client credentials, the
// tenant-wide role assignments built from the seeded accounts' `wids`, and (development
// only) a way to change an account's roles while the provider runs.
//
//   POST /token  grant_type=client_credentials, scope=https://graph.microsoft.com/.default,
//                HTTP Basic auth of IDP_DIRECTORY_CLIENT_ID : IDP_DIRECTORY_CLIENT_SECRET
//   GET  /v1.0/roleManagement/directory/roleAssignments
//                ?$filter=roleDefinitionId eq '<wid>'   (required, as by Graph)
//                [&$expand=principal][&$top=N&$skiptoken=K]   (every principal is a user)
//                → { value: [{ id, principalId, roleDefinitionId, directoryScopeId: "/" }],
//                    "@odata.nextLink"? }
//   POST /dev/accounts/<oid>/roles  { "wids": [...] } → 204: the account's roles from now on
//                (in its next tokens, and in the assignments)
//
// Both directory endpoints need the application's bearer token.

import { accounts, findByOid } from './accounts.mjs';
import { readBody } from './body.mjs';

/** The directory's resource (`aud` of the application token), as Graph's. */
export const DIRECTORY_AUDIENCE = 'https://graph.microsoft.com';
const DIRECTORY_SCOPE = `${DIRECTORY_AUDIENCE}/.default`;
const ASSIGNMENTS = '/v1.0/roleManagement/directory/roleAssignments';
const PAGE = 100;

/** The confidential client registration of the token API's directory sync. */
export function directoryClient(env) {
  return {
    client_id: env.IDP_DIRECTORY_CLIENT_ID || 'token-api-directory',
    client_secret: env.IDP_DIRECTORY_CLIENT_SECRET || 'dev-directory-secret',
    client_name: 'Token API directory sync (local development)',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
  };
}

/** The resource server of the directory for `getResourceServerInfo`. */
export function directoryResourceServer(ttl) {
  return { scope: DIRECTORY_SCOPE, audience: DIRECTORY_AUDIENCE, accessTokenTTL: ttl, accessTokenFormat: 'opaque' };
}

function json(res, status, body) {
  res.statusCode = status;
  res.setHeader('Cache-Control', 'no-store');
  if (body === undefined) return res.end();
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify(body));
}

/** Whether the request carries a live application token of `clientId` for the directory. */
async function authorized(provider, req, clientId) {
  const m = String(req.headers.authorization ?? '').match(/^Bearer (\S+)$/i);
  if (!m) return false;
  const token = await provider.ClientCredentials.find(m[1]);
  return Boolean(token && token.clientId === clientId && token.aud === DIRECTORY_AUDIENCE);
}

async function readJson(req) {
  return JSON.parse(await readBody(req, 16 * 1024));
}

/** The page `url` asks for; `undefined` without a `roleDefinitionId eq '…'` filter. */
function assignmentsPage(url, issuer) {
  const filter = url.searchParams.get('$filter') ?? '';
  const wid = filter.match(/^roleDefinitionId eq '([^']+)'$/)?.[1];
  if (!wid) return undefined;
  const expand = (url.searchParams.get('$expand') ?? '').startsWith('principal');
  const all = accounts.filter((a) => a.wids.includes(wid)).map((a) => ({
    id: `${a.oid}:${wid}`, principalId: a.oid, roleDefinitionId: wid, directoryScopeId: '/',
    ...(expand ? { principal: { '@odata.type': '#microsoft.graph.user', id: a.oid } } : {}),
  }));
  const top = Math.max(1, Math.min(PAGE, Number(url.searchParams.get('$top')) || PAGE));
  const skip = Math.max(0, Number(url.searchParams.get('$skiptoken')) || 0);
  const page = { value: all.slice(skip, skip + top) };
  if (skip + top < all.length) {
    const next = new URLSearchParams({ $filter: filter, $top: String(top), $skiptoken: String(skip + top) });
    page['@odata.nextLink'] = `${issuer}${ASSIGNMENTS}?${next}`;
  }
  return page;
}

/**
 * Answers the directory's requests; `false` for any other request. `clientId` is the
 * directory client's id.
 */
export function handleDirectory(req, res, url, { provider, issuer, clientId }) {
  const roles = url.pathname.match(/^\/dev\/accounts\/([^/]+)\/roles$/);
  if (url.pathname !== ASSIGNMENTS && !roles) return false;
  (async () => {
    if (!(await authorized(provider, req, clientId))) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return json(res, 401, { error: { code: 'InvalidAuthenticationToken' } });
    }
    if (url.pathname === ASSIGNMENTS && req.method === 'GET') {
      const page = assignmentsPage(url, issuer);
      if (page) return json(res, 200, page);
      return json(res, 400, { error: { code: 'BadRequest', message: "expected $filter=roleDefinitionId eq '<id>'" } });
    }
    if (roles && req.method === 'POST') {
      const account = findByOid(decodeURIComponent(roles[1]));
      if (!account) return json(res, 404, { error: { code: 'Request_ResourceNotFound' } });
      const body = await readJson(req).catch(() => undefined);
      const wids = body?.wids;
      if (!Array.isArray(wids) || !wids.every((w) => typeof w === 'string')) {
        return json(res, 400, { error: { code: 'BadRequest', message: 'expected {"wids": [string]}' } });
      }
      account.wids = [...new Set(wids)];
      return json(res, 204);
    }
    return json(res, 405, { error: { code: 'MethodNotAllowed' } });
  })().catch((err) => {
    console.error('directory error', err);
    if (!res.headersSent) json(res, 500, { error: { code: 'InternalServerError' } });
    else res.end();
  });
  return true;
}
