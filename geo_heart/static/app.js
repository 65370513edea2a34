// geo-heart call-taker page: plain JavaScript, no libraries, no network access beyond this server.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const form = $("lookup-form"), addressBox = $("address"), callType = $("call-type");
  const atBox = $("at"), weapon = $("weapon"), submit = $("submit"), card = $("card"), svg = $("map");
  const SVG_NS = "http://www.w3.org/2000/svg";
  let atTouched = false;      // untouched time box = "now" (judged by the server in area time)
  let proj = null;            // lon/lat <-> SVG projection, set once the beats are drawn
  let serviceAreaLabel = "pilot area";
  // what the area calls its units and programs (from /area: "beat"/"district", "HEART")
  let words = { unit: "beat", units: "beats", group: "district", groups: "districts" };
  let serviceName = "crisis-response";
  const cap = (t) => t.charAt(0).toUpperCase() + t.slice(1);
  let areaTimeZone = null;    // the area's IANA time zone (times are shown and judged in it)
  let fullView = null;        // the whole area's viewBox
  let lastPoint = null;       // SVG coordinates of the last looked-up point
  let zoomed = false;
  const ZOOM = 4;             // "around the point" shows a quarter of the area's width

  function pad(n) { return String(n).padStart(2, "0"); }
  // "now" as the wall-clock time in the area's time zone (not the browser's)
  function nowLocal() {
    const d = new Date();
    if (areaTimeZone) {
      const parts = Object.fromEntries(new Intl.DateTimeFormat("en-CA", {
        timeZone: areaTimeZone, year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", hourCycle: "h23",
      }).formatToParts(d).map((p) => [p.type, p.value]));
      return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
    }
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else e.setAttribute(k, v);
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  // ------------------------------------------------------------------ area metadata
  async function loadArea() {
    const r = await fetch("/area");
    if (!r.ok) return;
    const area = await r.json();
    $("area-name").textContent = "— " + area.name;
    if (area.labels) words = area.labels;
    if (area.service_name) serviceName = area.service_name;
    $("unit-label").textContent = cap(words.unit);
    $("service-name").textContent = serviceName + " program";
    $("legend-other").textContent = "Other " + words.units;
    if (area.timezone) {
      areaTimeZone = area.timezone;
      $("tz-hint").textContent = `(${area.timezone})`;
      if (!atTouched) atBox.value = nowLocal();
    }
    // the service area in force today (rules over time), else the area file's default outline
    const saKey = (area.rules_in_force && area.rules_in_force.service_area) || area.default_service_area;
    const sa = area.service_areas[saKey];
    if (sa) { serviceAreaLabel = sa.label; $("sa-label").textContent = sa.label; $("legend-sa").textContent = sa.label; }
    for (const ct of area.call_types) {
      callType.append(el("option", { value: ct.key }, ct.label));
    }
    // a call type the table does not list still gets an answer ("no program takes this call type")
    callType.append(el("option", { value: "not listed" }, "other / not listed"));
  }

  // ------------------------------------------------------------------ map (SVG, no tiles)
  async function loadMap() {
    const r = await fetch("/beats?simplify_m=15");
    if (!r.ok) return;
    const gj = await r.json();
    const [x0, y0, x1, y1] = gj.bbox;
    const kx = Math.cos(((y0 + y1) / 2) * Math.PI / 180);
    const W = 600, margin = 8;
    const scale = (W - 2 * margin) / ((x1 - x0) * kx);
    const H = Math.round((y1 - y0) * scale + 2 * margin);
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    fullView = { x: 0, y: 0, w: W, h: H };
    proj = {
      x: (lon) => margin + (lon - x0) * kx * scale,
      y: (lat) => margin + (y1 - lat) * scale,
      lon: (x) => x0 + (x - margin) / (kx * scale),
      lat: (y) => y1 - (y - margin) / scale,
    };
    const beats = document.createElementNS(SVG_NS, "g");
    const labels = document.createElementNS(SVG_NS, "g");
    for (const f of gj.features) {
      const g = f.geometry;
      const polys = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
      let d = "";
      for (const poly of polys) {
        for (const ring of poly) {
          d += ring.map((c, i) => (i ? "L" : "M") + proj.x(c[0]).toFixed(1) + " " + proj.y(c[1]).toFixed(1)).join("") + "Z";
        }
      }
      const p = document.createElementNS(SVG_NS, "path");
      p.setAttribute("d", d);
      p.setAttribute("fill-rule", "evenodd");
      p.setAttribute("class", "beat" + (f.properties.in_service_area ? " pilot" : ""));
      p.dataset.beat = f.properties.beat;
      const t = document.createElementNS(SVG_NS, "title");
      t.textContent = `${cap(words.unit)} ${f.properties.beat}` + (f.properties.district ? ` (${words.group} ${f.properties.district})` : "") +
        (f.properties.in_service_area ? ` — ${serviceAreaLabel}` : "");
      p.append(t);
      beats.append(p);
      const lab = document.createElementNS(SVG_NS, "text");
      lab.setAttribute("x", proj.x(f.properties.label_lon).toFixed(1));
      lab.setAttribute("y", proj.y(f.properties.label_lat).toFixed(1));
      lab.setAttribute("class", "label");
      lab.setAttribute("font-size", "9");
      lab.textContent = f.properties.beat;
      labels.append(lab);
    }
    const marker = document.createElementNS(SVG_NS, "g");
    marker.setAttribute("id", "marker");
    svg.replaceChildren(beats, labels, marker);
    svg.addEventListener("click", (ev) => {
      const pt = svg.createSVGPoint();
      pt.x = ev.clientX; pt.y = ev.clientY;
      const loc = pt.matrixTransform(svg.getScreenCTM().inverse());
      const lon = proj.lon(loc.x), lat = proj.lat(loc.y);
      addressBox.value = `${lat.toFixed(6)}, ${lon.toFixed(6)}`;
      lookup();
    });
  }

  function setView() {
    if (!fullView) return;
    const zoomBtn = $("zoom");
    let v = fullView, k = 1;
    if (zoomed && lastPoint) {
      k = ZOOM;
      const w = fullView.w / k, h = fullView.h / k;
      v = { x: lastPoint.x - w / 2, y: lastPoint.y - h / 2, w, h };
    }
    svg.setAttribute("viewBox", `${v.x.toFixed(1)} ${v.y.toFixed(1)} ${v.w.toFixed(1)} ${v.h.toFixed(1)}`);
    svg.style.setProperty("--k", String(k));
    for (const t of svg.querySelectorAll("text.label")) t.setAttribute("font-size", (9 / k).toFixed(2));
    const c = svg.querySelector("#marker circle");
    if (c) { c.setAttribute("r", (6 / k).toFixed(2)); c.setAttribute("stroke-width", (2 / k).toFixed(2)); }
    zoomBtn.disabled = !lastPoint;
    zoomBtn.textContent = zoomed && lastPoint ? "Show whole area" : "Zoom to point";
    zoomBtn.setAttribute("aria-pressed", String(zoomed && !!lastPoint));
  }

  function showOnMap(result) {
    if (!proj) return;
    for (const p of svg.querySelectorAll(".beat.hit")) p.classList.remove("hit");
    const marker = $("marker");
    marker.replaceChildren();
    if (result && result.beat) {
      const p = svg.querySelector(`.beat[data-beat="${CSS.escape(result.beat)}"]`);
      if (p) p.classList.add("hit");
    }
    if (result && Number.isFinite(result.lon) && Number.isFinite(result.lat)) {
      const c = document.createElementNS(SVG_NS, "circle");
      c.setAttribute("cx", proj.x(result.lon).toFixed(1));
      c.setAttribute("cy", proj.y(result.lat).toFixed(1));
      c.setAttribute("r", "6");
      c.setAttribute("class", "pt");
      marker.append(c);
      lastPoint = { x: proj.x(result.lon), y: proj.y(result.lat) };
    } else {
      lastPoint = null;
    }
    setView();
  }

  // ------------------------------------------------------------------ lookups
  // "lat, lon" (or "lon, lat": a first value beyond ±90 must be a longitude)
  function parseCoordinates(text) {
    const m = text.trim().match(/^(-?\d+(?:\.\d+)?)\s*[,\s]\s*(-?\d+(?:\.\d+)?)$/);
    if (!m) return null;
    const a = parseFloat(m[1]), b = parseFloat(m[2]);
    return Math.abs(a) > 90 ? { lon: a, lat: b } : { lat: a, lon: b };
  }

  async function lookup(pick) {
    const text = addressBox.value.trim();
    if (!text) {
      renderError("Type an address (or “lat, lon”) first.");
      addressBox.focus();
      return;
    }
    const q = new URLSearchParams();
    const coords = parseCoordinates(text);
    if (pick && Number.isFinite(pick.lon) && Number.isFinite(pick.lat)) {
      q.set("lon", pick.lon); q.set("lat", pick.lat);
    } else if (coords) { q.set("lon", coords.lon); q.set("lat", coords.lat); } else { q.set("address", text); }
    if (callType.value) q.set("call_type", callType.value);
    if (atTouched && atBox.value) q.set("at", atBox.value); else atBox.value = nowLocal();
    if (weapon.checked) q.set("weapon", "true");
    submit.disabled = true;
    card.setAttribute("aria-busy", "true");
    try {
      const r = await fetch("/lookup?" + q.toString(), { headers: { Accept: "application/json" } });
      const body = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
      if (!r.ok) { renderError(body.error || `HTTP ${r.status}`); showOnMap(null); return; }
      if (coords) { body.lon = body.lon ?? coords.lon; body.lat = body.lat ?? coords.lat; }
      if (pick) {
        body.lon = body.lon ?? pick.lon; body.lat = body.lat ?? pick.lat;
        body.picked = pick.matched_address;
      }
      renderCard(body);
      showOnMap(body);
    } catch (e) {
      renderError("The lookup service did not answer: " + e.message);
    } finally {
      submit.disabled = false;
      card.removeAttribute("aria-busy");
      addressBox.focus();  // ready for the next address
    }
  }

  function renderError(message) {
    card.className = "card";
    card.dataset.state = "error";
    card.replaceChildren(el("p", { class: "error", id: "card-error" }, message));
  }

  const MATCH_WORDS = {
    address_point: "exact address point",
    interpolated: "between known address points",
    range_interpolated: "along the street's address range",
    block: "hundred-block",
    block_interpolated: "hundred-block (estimated point)",
    intersection: "intersection",
    history_block: "block known from past calls (no map point)",
    history_intersection: "intersection known from past calls (no map point)",
    place: "named place",
    nearest_address: "nearest known house number",
    street: "street only",
    unmatched: "no match",
  };

  function quality(r) {
    if (r.match_type === undefined) return null;
    if (!r.match_type || r.match_type === "unmatched") return el("span", { class: "badge q-poor" }, "no match");
    if (r.status === "approximate" || r.status === "ambiguous") {
      // the place itself is not known: never a "good" badge, whatever the beat's probability
      return el("span", {}, el("span", { class: "badge q-poor" }, r.status + " — confirm with caller"),
        ` ${MATCH_WORDS[r.match_type] || r.match_type}`);
    }
    const s = typeof r.score === "number" ? r.score : 0;
    const cls = s >= 0.85 ? "q-good" : s >= 0.6 ? "q-fair" : "q-poor";
    const word = s >= 0.85 ? "good" : s >= 0.6 ? "fair" : "poor — confirm with caller";
    const what = MATCH_WORDS[r.match_type] || r.match_type;
    const within = typeof r.uncertainty_m === "number" ? `, within ~${Math.round(r.uncertainty_m).toLocaleString()} m` : "";
    return el("span", {}, el("span", { class: "badge " + cls }, word), ` ${what} (score ${s.toFixed(2)}${within})`);
  }

  function renderCard(r) {
    const progs = r.programs || [];
    const decisions = r.decisions || [];
    const names = Object.fromEntries(decisions.map((d) => [d.program, d.name]));
    let verdict;
    const approximate = r.status === "approximate";
    const unknown = r.status === "unknown" || r.status === "invalid" ||
      (r.in_service_area === null && r.status !== "ambiguous" && !approximate);
    const ambiguous = r.status === "ambiguous";
    const V = (cls, text) => el("p", { class: "verdict " + cls, id: "card-verdict" }, text);
    if (unknown) {
      verdict = V("warn", "Location not determined: ask the caller");
    } else if (approximate) {
      // the headline follows the status: "approximate: street only, 3 possible beats, confirm …"
      const head = (r.notes || []).find((n) => n.startsWith("approximate:")) || "approximate: confirm with the caller";
      verdict = V("warn", head.charAt(0).toUpperCase() + head.slice(1));
    } else if (ambiguous && !r.beat) {
      verdict = V("warn", `${(r.candidates || []).length} places fit: pick one with the caller` +
        (r.eligibility_varies ? " (eligibility depends on which)" : ""));
    } else if (!r.beat) {
      verdict = V("warn", `Location not in any ${words.unit} — no ${serviceName} program; dispatch as usual`);
    } else if (!r.call_type) {
      verdict = V("warn", "Location known — needs call type");
    } else if (progs.length) {
      verdict = V("ok", progs.map((c) => `${c}${names[c] ? " (" + names[c] + ")" : ""}`).join(", ") + " can respond now");
    } else {
      verdict = V("no", `No ${serviceName} program can respond now`);
    }
    const dl = el("dl");
    const row = (label, id, value) => { if (value !== null && value !== undefined) dl.append(el("dt", {}, label), el("dd", { id }, value)); };
    if (r.match_type !== undefined) {
      row("Matched", "card-matched", r.matched_address || "(no match)");
      row("Match quality", "card-quality", quality(r));
    }
    row(cap(words.unit), "card-beat", r.beat ? `${r.beat}${r.district ? " (" + words.group + " " + r.district + ")" : ""}` : (r.reason || "none"));
    const inArea = r.in_service_area === true ? ["in", "IN"] : r.in_service_area === false ? ["out", "OUT"] : ["unknown", "UNKNOWN"];
    const saName = r.service_area && r.rules ? r.service_area : serviceAreaLabel;
    row("Service area", "card-pilot", el("span", {}, el("span", { class: "badge " + inArea[0] }, inArea[1]), " " + saName));
    if (r.picked) row("Chosen place", "card-picked", r.picked);
    // a street with no number (or one street of a crossing): its places, each a share of the street
    const streetOnly = approximate && ["street", "history_street"].includes(r.match_type);
    if ((ambiguous || approximate) && (r.candidates || []).length) {
      const list = el("ol", { class: "candidates", id: "card-candidates" });
      (r.candidates || []).forEach((c, i) => {
        const sa = c.in_service_area === true ? "in" : c.in_service_area === false ? "out" : "unknown";
        const share = streetOnly && typeof c.share === "number" ? `, ${Math.round(100 * c.share)}% of the street` : "";
        const b = el("button", { type: "button", class: "small pick", "data-index": String(i) },
          `${c.matched_address} — ${words.unit} ${c.beat || (Number.isFinite(c.lon) ? "none (outside)" : "?")} (${sa}${share})` +
          ((c.programs || []).length ? `: ${c.programs.join(", ")}` : ""));
        b.addEventListener("click", () => lookup(c));
        list.append(el("li", {}, b));
      });
      row(streetOnly ? "Where on the street?" : approximate ? "Place found" : "Which place?", "card-pick", list);
      // beats within the answer's radius that no listed place stands in (a crossing near a beat line)
      const listed = new Set((r.candidates || []).map((c) => c.beat));
      const also = (r.straddle_beats || []).filter((b) => !listed.has(b));
      if (approximate && also.length) row("Also possible", "card-also", `${also.length > 1 ? words.units : words.unit} ${also.join(", ")}: confirm with the caller`);
    }
    if (r.nearest_beat) row("Nearest " + words.unit, "card-nearest", `${r.nearest_beat}, ${Math.round(r.distance_m).toLocaleString()} m away`);
    const ct = r.call_type;
    row("Call type", "card-calltype", ct ? (ct.label ? `${ct.label}${ct.risk ? " — weapon/violence" : ""}` +
      (ct.matched_by === "truncation" ? ` (read from “${ct.raw}”)` : "") :
      (ct.raw.toLowerCase() === "not listed" ? "other / not listed" : `not in the table (“${ct.raw}”)`) +
      " — no program takes this call type" + (ct.suggestion ? `; did you mean ${ct.suggestion}?` : "")) : "not given");
    row("Time", "card-time", `${(r.local_time || "").replace("T", " ")} ${r.timezone || ""}`);
    if (r.rules) row("Rules", "card-rules", `${r.rules.label} (${r.rules.effective_from || "…"} to ${r.rules.effective_to || "today"})` + (r.service_area ? `; service area: ${r.service_area}` : ""));
    const list = el("ul", { class: "programs", id: "card-programs" });
    for (const d of decisions) {
      list.append(el("li", { "data-program": d.program, "data-eligible": String(d.eligible) },
        el("span", { class: d.eligible ? "yes" : "no" }, d.eligible ? "✔ " : "✘ "),
        `${d.program} ${d.name}`,
        d.eligible ? null : el("div", { class: "why" }, d.reason)));
    }
    row("Programs", "card-decisions", list);
    const notes = (r.notes || []).concat(r.beat && r.reason ? [r.reason] : []);
    const children = [verdict, dl];
    if (notes.length) children.push(el("ul", { class: "notes" }, ...notes.map((n) => el("li", {}, n))));
    card.className = "card";
    card.dataset.state = unknown ? "unknown" : approximate ? "approximate" : (ambiguous && !r.beat) ? "ambiguous" :
      r.beat ? (r.in_service_area ? "in" : "out") : "none";
    card.replaceChildren(...children);
  }

  // ------------------------------------------------------------------ wiring
  atBox.value = nowLocal();
  atBox.addEventListener("input", () => { atTouched = atBox.value !== ""; });
  form.addEventListener("submit", (ev) => { ev.preventDefault(); lookup(); });
  $("zoom").addEventListener("click", () => { zoomed = !zoomed; setView(); });
  // a new call: nothing carries over from the last one (call type, weapon flag, time, card)
  $("new-call").addEventListener("click", () => {
    form.reset();
    callType.value = "";
    weapon.checked = false;
    atTouched = false;
    atBox.value = nowLocal();
    card.className = "card empty";
    card.dataset.state = "empty";
    card.replaceChildren(el("p", {}, "Type an address and press Enter."));
    showOnMap(null);
    addressBox.focus();
  });
  loadArea().catch(() => {}).then(loadMap).then(() => { document.body.dataset.ready = "true"; });
})();
