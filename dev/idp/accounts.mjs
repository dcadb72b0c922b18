// The seeded accounts of the local OpenID provider, for the provider itself and for tests.
// DEVELOPMENT AND TESTS ONLY: every account uses the same public password.
import { readFileSync } from 'node:fs';

const data = JSON.parse(readFileSync(new URL('./accounts.json', import.meta.url), 'utf8'));

/** The shared development password of every seeded account. */
export const DEV_PASSWORD = data.password;
/** [{tid, name}] */
export const tenants = data.tenants;
/** {role display name: wids value (directory role template id)} */
export const roles = data.roles;
/** [{username, password, oid, name, tid, role, wids, deprovisioned}] */
export const accounts = data.accounts;

export function tenantName(tid) {
  return tenants.find((t) => t.tid === tid)?.name ?? tid;
}

export function findByUsername(username) {
  const u = String(username ?? '').trim().toLowerCase();
  return accounts.find((a) => a.username.toLowerCase() === u);
}

export function findByOid(oid) {
  return accounts.find((a) => a.oid === oid);
}
