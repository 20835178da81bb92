// Moat security console. Plain DOM, no library, no inline code (the page's CSP forbids it).
// The admin token lives in sessionStorage: this tab only, gone when the tab closes.
"use strict";

(function () {
  const TOKEN_KEY = "moat.adminToken";
  const POLL_MS = 5000;
  const SVG = "http://www.w3.org/2000/svg";
  const $ = (id) => document.getElementById(id);

  let selected = null;      // the key id shown in the detail panel
  let timer = null;
  let pendingAction = null; // {action, id} while the confirmation dialog is open

  function token() { return sessionStorage.getItem(TOKEN_KEY); }

  async function api(method, path, body) {
    const res = await fetch(path, {
      method: method,
      headers: Object.assign({ "Authorization": "Bearer " + token() },
        body === undefined ? {} : { "Content-Type": "application/json" }),
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
    });
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
    if (res.status === 401) { logout("The admin token was refused."); throw new Error("unauthorized"); }
    if (!res.ok) {
      const detail = json && (json.detail || json.title) ? (json.detail || json.title) : res.status + " " + res.statusText;
      throw new Error(detail);
    }
    return json;
  }

  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") e.textContent = v; else if (k === "class") e.className = v; else e.setAttribute(k, v);
    }
    for (const c of children || []) e.append(c);
    return e;
  }

  function fmtTime(iso) {
    if (!iso) return "–";
    const d = new Date(iso);
    return d.toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  function say(msg) { $("status").textContent = msg; }

  // ---------------------------------------------------------------- login
  function showLogin(message) {
    $("app").hidden = true;
    $("logout").hidden = true;
    $("login").hidden = false;
    $("login-error").textContent = message || "";
    $("token").focus();
  }

  function logout(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    if (timer) { clearInterval(timer); timer = null; }
    selected = null;
    showLogin(message);
  }

  async function login(t) {
    sessionStorage.setItem(TOKEN_KEY, t);
    try {
      await api("GET", "/admin/keys?limit=1");
    } catch (e) {
      if (e.message !== "unauthorized") logout("The gateway did not answer: " + e.message);
      return;
    }
    $("login").hidden = true;
    $("app").hidden = false;
    $("logout").hidden = false;
    $("token").value = "";
    await refresh();
    $("keys").focus();
    timer = setInterval(() => { if (!document.hidden) refresh(); }, POLL_MS);
  }

  // ---------------------------------------------------------------- list
  async function loadFlagged() {
    // flagged here, blocked, or acted on from a risk shared by another instance (one that holds the key's
    // evidence: the load balancer sends each key to one) or by the key's tenant; the gateway filters
    // before it cuts the page, so a blocked key at risk 0 is not behind a thousand quiet ones
    const page = await api("GET", "/admin/keys?flagged=true&limit=1000");
    $("more-keys").hidden = page.next_cursor == null;
    return page.keys;
  }

  function renderList(keys) {
    const rows = $("key-rows");
    rows.replaceChildren();
    $("no-keys").hidden = keys.length > 0;
    for (const k of keys) {
      const bar = el("span", { class: "risk-bar", "aria-hidden": "true" }, [el("span")]);
      bar.firstChild.style.width = Math.round(Math.min(1, k.risk) * 100) + "%";
      const open = el("button", { type: "button", class: "key", text: k.id, "aria-label": "Show key " + k.id });
      open.addEventListener("click", () => select(k.id, true));
      const tr = el("tr", { "data-key": k.id, class: k.id === selected ? "selected" : "" }, [
        el("td", {}, [open]),
        el("td", {}, [bar, document.createTextNode(k.risk.toFixed(2))]),
        el("td", { class: "level-" + k.level, text: k.level }),
        el("td", { class: k.blocked_until ? "blocked" : "", text: k.blocked_until ? fmtTime(k.blocked_until) : "–" }),
        el("td", { class: "wide", text: k.tenant || "–" }),
        el("td", { class: "wide", text: String(k.queries) }),
        el("td", { class: "wide", text: fmtTime(k.last_seen) }),
      ]);
      rows.append(tr);
    }
  }

  async function refresh() {
    try {
      const keys = await loadFlagged();
      renderList(keys);
      if (!selected && keys.length > 0) await select(keys[0].id, false); // the riskiest key, at once
      else if (selected) await renderDetail(selected);
      $("updated").textContent = "Updated " + new Date().toLocaleTimeString() + " (every " + POLL_MS / 1000 + " s)";
    } catch (e) {
      if (e.message !== "unauthorized") say("Could not refresh: " + e.message);
    }
  }

  // ---------------------------------------------------------------- detail
  async function select(id, focus) {
    selected = id;
    for (const tr of $("key-rows").children) tr.classList.toggle("selected", tr.dataset.key === id);
    await renderDetail(id);
    if (focus) $("detail").focus();
  }

  async function renderDetail(id) {
    let key, hist;
    try {
      [key, hist] = await Promise.all([
        api("GET", "/admin/keys/" + encodeURIComponent(id)),
        api("GET", "/admin/keys/" + encodeURIComponent(id) + "/history"),
      ]);
    } catch (e) {
      if (e.message !== "unauthorized") say("Key " + id + ": " + e.message);
      return;
    }
    $("detail").hidden = false;
    $("detail-title").textContent = "Key " + key.id;
    const actions = Object.entries(key.actions || {}).map(([p, a]) => p + ": " + a).join(", ") || "none";
    // a higher risk shared for the key (by another instance, whose evidence this one does not hold) or its tenant
    const shared = key.shared_risk != null && key.shared_risk > key.risk + 0.005
      ? ", shared risk " + key.shared_risk.toFixed(2) + " (another instance's evidence or the tenant's: the ladder applies it)"
      : "";
    $("detail-summary").textContent = "risk " + key.risk.toFixed(2) + ", level " + key.level + shared
      + (key.blocked_until ? ", blocked until " + fmtTime(key.blocked_until) : "")
      + ", tier " + key.tier + (key.tenant ? ", tenant " + key.tenant : "")
      + ", " + key.queries + " queries judged; ladder action now: " + actions + ".";

    const dets = $("detector-rows");
    dets.replaceChildren();
    const entries = Object.entries(key.detectors || {}).sort((a, b) => b[1].score - a[1].score);
    for (const [name, d] of entries) {
      dets.append(el("tr", {}, [el("td", { text: name }), el("td", { text: d.score.toFixed(2) }), el("td", { text: d.reason || "" })]));
    }

    const evs = $("event-rows");
    evs.replaceChildren();
    const events = (hist.events || []).slice().reverse();
    if (events.length === 0) evs.append(el("tr", {}, [el("td", { colspan: "3", class: "muted", text: "Nothing yet." })]));
    for (const e of events) {
      evs.append(el("tr", {}, [el("td", { text: fmtTime(e.time) }), el("td", { text: e.event }), el("td", { text: e.detail || "" })]));
    }
    drawChart(hist);
  }

  // A hand-drawn SVG line chart of the risk samples (plus the live point), 0..1 on the y axis.
  function drawChart(hist) {
    const pts = (hist.samples || []).map((s) => ({ t: Date.parse(s.time), r: s.risk }));
    if (hist.now) pts.push({ t: Date.parse(hist.now.time), r: hist.now.risk });
    const W = 720, H = 220, L = 36, R = 10, T = 10, B = 26;
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    svg.setAttribute("role", "img");
    const add = (tag, attrs, text) => {
      const e = document.createElementNS(SVG, tag);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
      if (text !== undefined) e.textContent = text;
      svg.append(e);
      return e;
    };
    const t1 = pts.length ? pts[pts.length - 1].t : Date.now();
    const t0 = Math.min(pts.length ? pts[0].t : t1, t1 - 10 * 60 * 1000);
    const x = (t) => L + (W - L - R) * (t1 === t0 ? 1 : (t - t0) / (t1 - t0));
    const y = (r) => T + (H - T - B) * (1 - Math.max(0, Math.min(1, r)));
    for (const r of [0, 0.25, 0.5, 0.75, 1]) {
      add("line", { class: "grid", x1: L, x2: W - R, y1: y(r), y2: y(r) });
      add("text", { x: 4, y: y(r) + 4 }, r.toFixed(2));
    }
    add("line", { class: "axis", x1: L, x2: L, y1: T, y2: H - B });
    add("line", { class: "axis", x1: L, x2: W - R, y1: H - B, y2: H - B });
    add("text", { x: L, y: H - 8 }, new Date(t0).toLocaleTimeString());
    add("text", { x: W - R - 60, y: H - 8 }, new Date(t1).toLocaleTimeString());
    if (pts.length > 0) {
      add("polyline", { class: "line", points: pts.map((p) => x(p.t).toFixed(1) + "," + y(p.r).toFixed(1)).join(" ") });
      for (const p of pts) add("circle", { class: "dot", cx: x(p.t).toFixed(1), cy: y(p.r).toFixed(1), r: 2.5 });
    }
    const last = pts.length ? pts[pts.length - 1].r : 0;
    const max = pts.reduce((m, p) => Math.max(m, p.r), 0);
    const summary = pts.length + " samples since " + new Date(t0).toLocaleTimeString()
      + "; now " + last.toFixed(2) + ", highest " + max.toFixed(2)
      + " (sampled every " + (hist.sample_period_seconds || "?") + " s and at every change)";
    add("title", {}, "Risk of key " + hist.id + ": " + summary);
    $("chart").replaceChildren(svg);
    $("chart-caption").textContent = summary;
  }

  // ---------------------------------------------------------------- actions
  const QUESTIONS = {
    unblock: (id) => "Lift the block on key " + id + "? Its detectors keep what they hold of it: if its risk is"
      + " still over the block step, its next query blocks it again. To clear a key wrongly flagged, reset it.",
    reset: (id) => "Forget everything the detectors know about key " + id + ", and its block and throttle?",
    block: (id) => "Block key " + id + " on every route?",
    revoke: (id) => "Revoke key " + id + " for good? Its secret stops working at once and the id is never reused.",
  };

  function ask(action) {
    if (!selected) return;
    pendingAction = { action: action, id: selected };
    $("confirm-title").textContent = action.charAt(0).toUpperCase() + action.slice(1) + " " + selected;
    $("confirm-text").textContent = QUESTIONS[action](selected);
    $("block-fields").hidden = action !== "block";
    $("confirm-ok").textContent = action.charAt(0).toUpperCase() + action.slice(1);
    $("confirm").showModal();
    (action === "block" ? $("block-for") : $("confirm-cancel")).focus();
  }

  async function act(p) {
    const path = "/admin/keys/" + encodeURIComponent(p.id);
    try {
      if (p.action === "revoke") {
        await api("DELETE", path);
      } else if (p.action === "block") {
        await api("POST", path + "/block", { for: $("block-for").value.trim(), reason: $("block-reason").value.trim() });
      } else {
        await api("POST", path + "/" + p.action);
      }
      say("Key " + p.id + ": " + p.action + " done.");
      if (p.action === "revoke") { selected = null; $("detail").hidden = true; }
      await refresh();
    } catch (e) {
      if (e.message !== "unauthorized") say("Key " + p.id + ": " + p.action + " failed: " + e.message);
    }
  }

  // ---------------------------------------------------------------- wiring
  document.addEventListener("DOMContentLoaded", () => {
    $("login-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const t = $("token").value.trim();
      if (t) login(t);
    });
    $("logout").addEventListener("click", () => logout("Logged out."));
    for (const b of document.querySelectorAll("#detail .actions button")) {
      b.addEventListener("click", () => ask(b.dataset.action));
    }
    $("confirm").addEventListener("close", () => {
      const p = pendingAction;
      pendingAction = null;
      if (p && $("confirm").returnValue === "ok") act(p);
    });
    if (token()) login(token()); else showLogin();
  });
})();
