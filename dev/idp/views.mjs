// HTML pages of the local OpenID provider: self-contained (no external assets).

export function esc(value) {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;background:#f3f4f6;color:#1f2937}
main{max-width:760px;margin:32px auto;padding:0 16px}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:24px;margin-bottom:16px;box-shadow:0 1px 2px rgba(0,0,0,.05)}
h1{font-size:1.4rem;margin:0 0 4px}
h2{font-size:1.05rem;margin:0 0 12px}
p.sub{margin:0 0 16px;color:#6b7280}
.banner{background:#fef3c7;border:1px solid #f59e0b;color:#78350f;border-radius:6px;padding:8px 12px;margin-bottom:16px;font-size:.9rem}
.error{background:#fee2e2;border:1px solid #ef4444;color:#7f1d1d;border-radius:6px;padding:10px 12px;margin-bottom:16px}
label{display:block;font-weight:600;margin:12px 0 4px}
input[type=text],input[type=password]{width:100%;padding:8px 10px;border:1px solid #d1d5db;border-radius:6px;font-size:1rem}
button{font:inherit;cursor:pointer}
.primary{margin-top:16px;background:#2563eb;color:#fff;border:0;border-radius:6px;padding:9px 18px;font-weight:600}
.primary:hover{background:#1d4ed8}
.tenant{margin-top:12px}
.tenant h3{font-size:.95rem;margin:12px 0 8px;color:#374151}
.accounts{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:8px}
.pick{text-align:left;background:#f9fafb;border:1px solid #d1d5db;border-radius:6px;padding:8px 10px}
.pick:hover{background:#eff6ff;border-color:#2563eb}
.pick .n{display:block;font-weight:600}
.pick .u,.pick .r{display:block;font-size:.82rem;color:#4b5563}
.pick .d{color:#b91c1c}
.link{background:none;border:0;color:#6b7280;text-decoration:underline;padding:0;margin-top:12px}
pre{white-space:pre-wrap;word-break:break-word;margin:4px 0}
`;

function page(title, body, { head = '' } = {}) {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
${head}
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

/**
 * The sign-in page. Stable ids for tests: #username, #password, #sign-in (typed form);
 * every pick button has data-username="<username>"; an error is in #error.
 */
export function loginPage({ uid, clientName, accounts, username = '', error }) {
  const base = `/interaction/${encodeURIComponent(uid)}`;
  const tenants = [];
  for (const account of accounts) {
    let group = tenants.find((t) => t.tid === account.tid);
    if (!group) {
      group = { tid: account.tid, name: account.tenant, accounts: [] };
      tenants.push(group);
    }
    group.accounts.push(account);
  }
  const pickList = tenants.map((t) => `
      <div class="tenant">
        <h3>${esc(t.name)} <small>(${esc(t.tid)})</small></h3>
        <div class="accounts">
${t.accounts.map((a) => `          <button class="pick" type="submit" name="username" value="${esc(a.username)}" data-username="${esc(a.username)}">
            <span class="n">${esc(a.name)}</span>
            <span class="u">${esc(a.username)}</span>
            <span class="r">${esc(a.role ?? 'No portal role')}${a.deprovisioned ? ' · <span class="d">deprovisioned</span>' : ''}</span>
          </button>`).join('\n')}
        </div>
      </div>`).join('\n');

  return page('Sign in — local development provider', `
  <div class="card">
    <div class="banner">Local development OpenID provider. Test accounts only; the password of every account is <code>dev-password</code>.</div>
    <h1>Sign in</h1>
    <p class="sub">to continue to ${esc(clientName)}</p>
    ${error ? `<div class="error" id="error" role="alert">${esc(error)}</div>` : ''}
    <form method="post" action="${base}/login" autocomplete="off">
      <label for="username">Username</label>
      <input type="text" id="username" name="username" value="${esc(username)}" autocapitalize="off" spellcheck="false" required ${username ? '' : 'autofocus'}>
      <label for="password">Password</label>
      <input type="password" id="password" name="password" required ${username ? 'autofocus' : ''}>
      <button class="primary" type="submit" id="sign-in">Sign in</button>
    </form>
  </div>
  <div class="card">
    <h2>Or pick a test account</h2>
    <form method="post" action="${base}/pick">
${pickList}
    </form>
    <form method="post" action="${base}/abort">
      <button class="link" type="submit" id="cancel">Cancel sign-in</button>
    </form>
  </div>`);
}

/**
 * End-session confirmation. Submits itself at once (no click needed in a browser); without
 * scripts, one button #logout-confirm does it.
 */
export function logoutPage({ form, clientName }) {
  return page('Signing out', `
  <div class="card">
    <h1>Signing out${clientName ? ` of ${esc(clientName)}` : ''}…</h1>
    ${form}
    <input type="hidden" form="op.logoutForm" name="logout" value="yes">
    <button class="primary" type="submit" form="op.logoutForm" id="logout-confirm" name="logout" value="yes">Sign out</button>
  </div>
  <script>document.getElementById('op.logoutForm').submit();</script>`);
}

export function postLogoutPage() {
  return page('Signed out', `
  <div class="card">
    <h1>Signed out</h1>
    <p class="sub">You have been signed out of the local development provider.</p>
  </div>`);
}

export function errorPage(out) {
  return page('Sign-in error', `
  <div class="card">
    <h1>Something went wrong</h1>
    <div class="error" id="error" role="alert">
${Object.entries(out).map(([k, v]) => `      <pre><strong>${esc(k)}</strong>: ${esc(v)}</pre>`).join('\n')}
    </div>
  </div>`);
}
