// The login page of the local provider: oidc-provider's interactions (sign in with a seeded
// account's password, or pick one; consent is automatic), and the HTML answers around them.

import crypto from 'node:crypto';

import { accounts, findByUsername, tenantName } from './accounts.mjs';
import { readBody } from './body.mjs';
import { errorPage, loginPage } from './views.mjs';

/** The URL-encoded form in the body of `req` (at most 64 KiB). */
export async function readForm(req) {
  return new URLSearchParams(await readBody(req, 64 * 1024));
}

/** Answers `body` as an HTML page that no one may frame or cache. */
export function sendHtml(res, status, body) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
  res.end(body);
}

// The handler of `/interaction/<uid>[/login|/pick|/abort]` for `provider`, whose SPA client
// `clientId` is shown as `clientName`.
export function interactionHandler({ provider, clientId, clientName }) {
  function renderLogin(res, status, details, { error, username } = {}) {
    const client = details.params.client_id;
    sendHtml(res, status, loginPage({
      uid: details.uid,
      clientName: client === clientId ? clientName : client,
      accounts: accounts.map((a) => ({ ...a, tenant: tenantName(a.tid) })),
      username: username ?? details.params.login_hint ?? '',
      error,
    }));
  }

  async function finishLogin(req, res, account) {
    await provider.interactionFinished(req, res, {
      login: { accountId: account.oid, remember: true },
    }, { mergeWithLastSubmission: false });
  }

  async function handleInteraction(req, res, url) {
    const match = url.pathname.match(/^\/interaction\/([^/]+)(?:\/(login|pick|abort))?$/);
    if (!match) return sendHtml(res, 404, errorPage({ error: 'not_found' }));
    const [, uid, action] = match;

    let details;
    try {
      details = await provider.interactionDetails(req, res);
    } catch (err) {
      return sendHtml(res, 400, errorPage({
        error: 'interaction_expired',
        error_description: 'This sign-in request has expired or was already used. Go back to the application and sign in again.',
      }));
    }
    if (details.uid !== uid) {
      return sendHtml(res, 400, errorPage({ error: 'invalid_request', error_description: 'interaction mismatch' }));
    }

    if (req.method === 'GET' && !action) {
      if (details.prompt.name === 'login') return renderLogin(res, 200, details);
      // Consent is automatic (loadExistingGrant); should a consent prompt still come, grant it.
      if (details.prompt.name === 'consent') {
        const grant = details.grantId
          ? await provider.Grant.find(details.grantId)
          : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
        const d = details.prompt.details;
        if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
        if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
        for (const [indicator, scopes] of Object.entries(d.missingResourceScopes ?? {})) {
          grant.addResourceScope(indicator, scopes.join(' '));
        }
        const grantId = await grant.save();
        return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      }
      return sendHtml(res, 400, errorPage({ error: 'unsupported_prompt', error_description: details.prompt.name }));
    }

    if (req.method === 'POST' && action === 'abort') {
      return provider.interactionFinished(req, res, {
        error: 'access_denied',
        error_description: 'End-User aborted interaction',
      }, { mergeWithLastSubmission: false });
    }

    if (req.method === 'POST' && (action === 'login' || action === 'pick')) {
      if (details.prompt.name !== 'login') {
        return sendHtml(res, 400, errorPage({ error: 'invalid_request', error_description: 'no sign-in is pending' }));
      }
      const form = await readForm(req);
      const username = form.get('username') ?? '';
      const account = findByUsername(username);
      if (action === 'pick') {
        // Development shortcut: pick a seeded account without typing its password.
        if (!account) return renderLogin(res, 400, details, { error: 'Unknown account.' });
        return finishLogin(req, res, account);
      }
      const password = form.get('password') ?? '';
      const ok = account
        && crypto.timingSafeEqual(
          crypto.createHash('sha256').update(password).digest(),
          crypto.createHash('sha256').update(account.password).digest(),
        );
      if (!ok) {
        return renderLogin(res, 401, details, {
          error: 'Wrong username or password. Check both and try again.',
          username,
        });
      }
      return finishLogin(req, res, account);
    }

    return sendHtml(res, 405, errorPage({ error: 'method_not_allowed' }));
  }

  return handleInteraction;
}
