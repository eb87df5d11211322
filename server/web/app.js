// The live picture: the agreement's map drawn by the server, the latest findings in a table,
// and new findings arriving through server-sent events. The access token comes from the URL
// fragment (#token=…, which browsers do not send to servers) or from this browser's storage.
"use strict";

const MAX_ROWS = 200;
let token = "";
let projection = null;
let shown = 0;

function readToken() {
  const m = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  if (m) {
    token = decodeURIComponent(m[1]);
    sessionStorage.setItem("truce-token", token);
    history.replaceState(null, "", location.pathname);
  } else {
    token = sessionStorage.getItem("truce-token") || "";
  }
  return token !== "";
}

async function api(path) {
  const res = await fetch(path, { headers: { Authorization: "Bearer " + token } });
  if (res.status === 401) {
    sessionStorage.removeItem("truce-token");
    askToken();
    throw new Error("the token was refused");
  }
  if (!res.ok) throw new Error(path + ": " + res.status);
  return res;
}

function askToken() {
  document.getElementById("login").hidden = false;
}

document.getElementById("login-form").addEventListener("submit", (e) => {
  e.preventDefault();
  token = document.getElementById("token-input").value.trim();
  sessionStorage.setItem("truce-token", token);
  document.getElementById("login").hidden = true;
  start();
});

function setStatus(text, cls) {
  const el = document.getElementById("status");
  el.textContent = text;
  el.className = "status " + (cls || "");
}

async function loadMap() {
  const svg = await (await api("/api/v1/agreement/map.svg")).text();
  const holder = document.getElementById("map-holder");
  holder.innerHTML = svg;
  const el = holder.querySelector("svg");
  const p = el.getAttribute("data-projection").split(" ").map(Number);
  projection = { lon0: p[0], lat0: p[1], kx: p[2], ky: p[3] };
  const kinds = new Set([...el.querySelectorAll(".zone")].map((z) => z.classList[1]));
  const legend = document.getElementById("legend");
  legend.innerHTML = "";
  for (const k of kinds) {
    const sample = el.querySelector(".zone." + k);
    const li = document.createElement("li");
    const sw = document.createElement("i");
    sw.style.background = getComputedStyle(sample).fill;
    li.append(sw, k);
    legend.append(li);
  }
}

function plot(f, fresh) {
  if (!projection) return;
  const g = document.querySelector("#map #findings");
  const c = document.createElementNS("http://www.w3.org/2000/svg", "circle");
  c.setAttribute("cx", ((f.lon - projection.lon0) * projection.kx).toFixed(1));
  c.setAttribute("cy", ((projection.lat0 - f.lat) * projection.ky).toFixed(1));
  c.setAttribute("r", 4);
  c.setAttribute("class", "finding-dot " + f.status + (fresh ? " fresh" : ""));
  const t = document.createElementNS("http://www.w3.org/2000/svg", "title");
  t.textContent = f.explanation;
  c.append(t);
  g.append(c);
  while (g.childNodes.length > MAX_ROWS * 5) g.firstChild.remove();
}

function addRow(f, fresh) {
  const body = document.querySelector("#findings tbody");
  const tr = document.createElement("tr");
  tr.dataset.finding = f.id;
  if (fresh) tr.className = "fresh";
  const cells = [
    [f.time.replace("T", " ").replace(/(\.\d+)?Z$/, ""), "when"],
    [f.rule + " (" + f.article + ")", "rule"],
    [f.status, "status-" + f.status],
    [f.party || "", "party"],
    [f.explanation, "expl"],
  ];
  for (const [text, cls] of cells) {
    const td = document.createElement("td");
    td.textContent = text;
    td.className = cls;
    tr.append(td);
  }
  body.prepend(tr);
  while (body.rows.length > MAX_ROWS) body.deleteRow(body.rows.length - 1);
  shown++;
  document.getElementById("count").textContent = shown;
  plot(f, fresh);
}

async function loadLatest() {
  const data = await (await api("/api/v1/findings?limit=100")).json();
  // The store pages oldest first; show the newest at the top.
  for (const f of data.findings) addRow(f, false);
}

function listen() {
  const es = new EventSource("/api/v1/events?access_token=" + encodeURIComponent(token));
  es.addEventListener("open", () => setStatus("live", "live"));
  es.addEventListener("error", () => setStatus("reconnecting…", "down"));
  es.addEventListener("finding", (e) => addRow(JSON.parse(e.data), true));
}

async function start() {
  try {
    const a = await (await api("/api/v1/agreement")).json();
    document.getElementById("agreement-title").textContent = a.title;
    await loadMap();
    await loadLatest();
    listen();
  } catch (err) {
    setStatus(String(err.message || err), "down");
  }
}

if (readToken()) start(); else askToken();
