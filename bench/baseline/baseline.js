// The page a team would write by hand instead of the SPA: the same JSON with the same bearer,
// rows built with DOM calls. `cargo xtask bench browser` measures the SPA against it; the
// bench puts the signed-in bearer in sessionStorage under "bench.bearer".
"use strict";

const headers = { Authorization: `Bearer ${sessionStorage.getItem("bench.bearer")}` };
const getJson = (path) => fetch(path, { headers }).then((r) => r.json());
const labels = { generated: "Generated", active: "Active", inactive: "Inactive" };
const privileges = { read: "Read", alerts: "Alerts", full: "Full" };

function cell(tag, text, attrs = {}) {
  const el = document.createElement(tag);
  el.textContent = text;
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

function localTime(iso) {
  return cell("time", new Date(iso).toLocaleString(), { datetime: iso, title: iso });
}

function row(token) {
  const tr = document.createElement("tr");
  tr.dataset.testid = "token-row";
  tr.dataset.tokenName = token.name;
  tr.appendChild(cell("th", token.name, { scope: "row" }));
  tr.appendChild(cell("td", token.owner.display_name));
  tr.appendChild(document.createElement("td")).appendChild(localTime(token.created_at));
  const used = tr.appendChild(document.createElement("td"));
  used.appendChild(token.last_used_at ? localTime(token.last_used_at) : cell("span", "Never"));
  tr.appendChild(document.createElement("td")).appendChild(
    cell("span", labels[token.status], { class: `badge status-${token.status}`, "data-testid": "token-status" }),
  );
  tr.appendChild(document.createElement("td")).appendChild(cell("span", privileges[token.privileges], { class: "badge" }));
  tr.appendChild(document.createElement("td")).appendChild(cell("button", "Revoke", { type: "button" }));
  return tr;
}

async function list(status) {
  const page = await getJson(`/api/v1/tokens?limit=50${status ? `&status=${status}` : ""}`);
  document.querySelector("tbody").replaceChildren(...page.items.map(row));
}

for (const button of document.querySelectorAll("[data-status]")) {
  button.addEventListener("click", () => {
    for (const b of document.querySelectorAll("[data-status]")) b.setAttribute("aria-pressed", String(b === button));
    list(button.dataset.status);
  });
}

getJson("/api/v1/me").then((me) => {
  document.querySelector(".who").textContent = me.display_name ?? "";
});
list("");
