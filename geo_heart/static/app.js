// geo-heart call-taker page: plain JavaScript, no libraries, no network access beyond this server.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const form = $("lookup-form"), addressBox = $("address"), callType = $("call-type");
  const atBox = $("at"), weapon = $("weapon"), submit = $("submit"), card = $("card"), mapBox = $("map");
  let atTouched = false;      // untouched time box = "now" (judged by the server in area time)
  let serviceAreaLabel = "pilot area";
  // what the area calls its units and programs (from /area: "beat"/"district", "HEART")
  let words = { unit: "beat", units: "beats", group: "district", groups: "districts" };
  let serviceName = "crisis-response";
  const cap = (t) => t.charAt(0).toUpperCase() + t.slice(1);
  let areaTimeZone = null;    // the area's IANA time zone (times are shown and judged in it)
  let lastPoint = null;       // {lon, lat} of the last looked-up point
  let zoomed = false;

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

  // ------------------------------------------------------------------ map (Leaflet, no tiles)
  // Leaflet is served by this server (from the xstatic-leaflet package); there is no tile layer,
  // so nothing is fetched from the internet: the beats' outlines are the map.
  let map = null, answerLayer = null, fullBounds = null, lastBounds = null;
  const beatLayers = {};
  function paintBeat(beat, cls, on) {
    const layer = beatLayers[beat];
    const e = layer && layer.getElement && layer.getElement();
    if (e) e.classList.toggle(cls, on);
  }

  async function loadMap() {
    if (!window.L) { mapBox.replaceChildren(el("p", { class: "hint" }, "Map unavailable (Leaflet is not installed on the server).")); return; }
    const r = await fetch("/beats?simplify_m=15");
    if (!r.ok) return;
    const gj = await r.json();
    map = L.map(mapBox, { attributionControl: false, zoomSnap: 0.25, minZoom: 8, maxZoom: 19 });
    const beats = L.geoJSON(gj, {
      style: (f) => ({ className: "beat" + (f.properties.in_service_area ? " pilot" : "") }),
      onEachFeature: (f, layer) => {
        beatLayers[f.properties.beat] = layer;
        layer.bindTooltip(`${cap(words.unit)} ${f.properties.beat}` + (f.properties.district ? ` (${words.group} ${f.properties.district})` : "") +
          (f.properties.in_service_area ? ` — ${serviceAreaLabel}` : ""), { sticky: true });
      },
    }).addTo(map);
    fullBounds = beats.getBounds();
    map.fitBounds(fullBounds);
    for (const [beat, layer] of Object.entries(beatLayers)) {
      const e = layer.getElement && layer.getElement();
      if (e) e.dataset.beat = beat;
    }
    for (const f of gj.features) {
      if (!Number.isFinite(f.properties.label_lat)) continue;
      L.marker([f.properties.label_lat, f.properties.label_lon], {
        icon: L.divIcon({ className: "beat-label", html: el("span", {}, f.properties.beat), iconSize: [40, 12] }),
        interactive: false, keyboard: false,
      }).addTo(map);
    }
    answerLayer = L.layerGroup().addTo(map);
    map.on("click", (ev) => {
      addressBox.value = `${ev.latlng.lat.toFixed(6)}, ${ev.latlng.lng.toFixed(6)}`;
      lookup();
    });
    map.on("zoomend moveend", () => { mapBox.dataset.zoom = String(map.getZoom()); });
    mapBox.dataset.zoom = String(map.getZoom());
  }

  function setView() {
    const zoomBtn = $("zoom");
    zoomBtn.disabled = !lastPoint;
    zoomBtn.textContent = zoomed && lastPoint ? "Show whole area" : "Zoom to point";
    zoomBtn.setAttribute("aria-pressed", String(zoomed && !!lastPoint));
    if (!map) return;
    if (zoomed && lastPoint) {
      // the answer's shape (or radius) with room around it; a bare point: ~600 m across
      const b = lastBounds || L.latLng(lastPoint.lat, lastPoint.lon).toBounds(600);
      map.fitBounds(b.pad(0.6), { animate: false, maxZoom: 17 });
    } else if (fullBounds) {
      map.fitBounds(fullBounds, { animate: false });
    }
  }

  function showOnMap(result) {
    if (!map) return;
    for (const b of Object.keys(beatLayers)) { paintBeat(b, "hit", false); paintBeat(b, "maybe", false); }
    answerLayer.clearLayers();
    lastBounds = null;
    if (result && result.beat) paintBeat(result.beat, "hit", true);
    // an approximate answer: every beat it may be in
    if (result && !result.beat) for (const c of result.candidates || []) if (c.beat) paintBeat(c.beat, "maybe", true);
    const has = result && Number.isFinite(result.lon) && Number.isFinite(result.lat);
    const shape = result && result.shape;
    if (shape && shape.geometry && shape.kind !== "point") {
      const g = L.geoJSON(shape.geometry, { style: { className: "shape" }, interactive: false }).addTo(answerLayer);
      lastBounds = g.getBounds();
    } else if (has && Number.isFinite(result.uncertainty_m) && result.uncertainty_m > 0) {
      const c = L.circle([result.lat, result.lon], { radius: result.uncertainty_m, className: "shape", interactive: false }).addTo(answerLayer);
      lastBounds = c.getBounds();
    }
    if (has) {
      L.circleMarker([result.lat, result.lon], { radius: 6, className: "pt", interactive: false }).addTo(answerLayer);
      lastPoint = { lon: result.lon, lat: result.lat };
    } else {
      lastPoint = null;
    }
    setView();
  }

  // ------------------------------------------------------------------ lookups
  // "lat, lon" (or "lon, lat": a first value beyond ±90 must be a longitude), optionally with an
  // uncertainty radius in metres: "36.0, -78.9 ±250" or "36.0, -78.9 r250"
  function parseCoordinates(text) {
    const m = text.trim().match(/^(-?\d+(?:\.\d+)?)\s*[,\s]\s*(-?\d+(?:\.\d+)?)(?:\s*(?:±|\+-|\+\/-|r)\s*(\d+(?:\.\d+)?)\s*m?)?$/i);
    if (!m) return null;
    const a = parseFloat(m[1]), b = parseFloat(m[2]);
    const out = Math.abs(a) > 90 ? { lon: a, lat: b } : { lat: a, lon: b };
    if (m[3] !== undefined) out.radius_m = parseFloat(m[3]);
    return out;
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
    } else if (coords) {
      q.set("lon", coords.lon); q.set("lat", coords.lat);
      if (coords.radius_m !== undefined) q.set("radius_m", coords.radius_m);
    } else { q.set("address", text); }
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

  // an NG9-1-1 caller location: the PIDF-LO document is posted as it is (the server parses it)
  async function lookupPidf(file) {
    if (!file) return;
    const q = new URLSearchParams();
    if (callType.value) q.set("call_type", callType.value);
    if (atTouched && atBox.value) q.set("at", atBox.value); else atBox.value = nowLocal();
    if (weapon.checked) q.set("weapon", "true");
    card.setAttribute("aria-busy", "true");
    try {
      const r = await fetch("/lookup?" + q.toString(), {
        method: "POST", body: await file.text(),
        headers: { "Content-Type": "application/pidf+xml", Accept: "application/json" },
      });
      const body = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
      if (!r.ok) { renderError(`${file.name}: ${body.error || "HTTP " + r.status}`); showOnMap(null); return; }
      body.pidfFile = file.name;
      renderCard(body);
      showOnMap(body);
    } catch (e) {
      renderError("The lookup service did not answer: " + e.message);
    } finally {
      card.removeAttribute("aria-busy");
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

  function shapeWords(sh) {
    if (sh.kind === "circle") return `circle of ${Math.round(sh.radius_m).toLocaleString()} m`;
    if (sh.kind === "ellipse") return `ellipse ${Math.round(sh.semi_major_m)} × ${Math.round(sh.semi_minor_m)} m (bearing ${sh.orientation_deg}°)`;
    if (sh.kind === "polygon") return `polygon of ${(sh.area_m2 / 1e6).toFixed(3)} km²`;
    return "point";
  }
  function sharesText(sh) {
    const parts = (sh.shares || []).map((x) => `${x.beat} ${Math.round(100 * x.share)}%`);
    if (sh.outside_share >= 0.005) parts.push(`outside ${Math.round(100 * sh.outside_share)}%`);
    return `${parts.join(" · ")} (${words.unit} needs ${Math.round(100 * sh.ok_share)}% to be sure)`;
  }

  // one line to paste into CAD: where, which unit, service area, who can respond, call, time
  function cadLine(r) {
    const U = words.unit.toUpperCase();
    const parts = [];
    if (r.status === "approximate") {
      const beats = (r.shape && r.shape.kind !== "point") ? (r.shape.shares || []).map((x) => `${x.beat} ${Math.round(100 * x.share)}%`)
        : (r.candidates || []).map((c) => c.beat).filter(Boolean);
      if (r.shape && r.shape.outside_share >= 0.005) beats.push(`outside ${Math.round(100 * r.shape.outside_share)}%`);
      parts.push(`${U} ? (APPROX: ${beats.join(", ") || "unknown"}) CONFIRM WITH CALLER`);
    } else if (r.status === "ambiguous" && !r.beat) {
      parts.push(`${U} ? (${(r.candidates || []).length} PLACES FIT) CONFIRM WITH CALLER`);
    } else if (r.beat) {
      parts.push(`${U} ${r.beat}${r.district ? " " + words.group.toUpperCase() + " " + r.district : ""}`);
    } else if (r.status === "outside") {
      parts.push(`OUTSIDE ALL ${words.units.toUpperCase()}` + (r.nearest_beat ? ` (NEAREST ${r.nearest_beat}, ${Math.round(r.distance_m)} M)` : ""));
    } else {
      parts.push("LOCATION UNKNOWN - ASK CALLER");
    }
    const where = r.matched_address || (Number.isFinite(r.lat) ? `${r.lat.toFixed(6)},${r.lon.toFixed(6)}` : "");
    const within = r.shape && r.shape.kind !== "point" ? ` (${shapeWords(r.shape)})` :
      Number.isFinite(r.uncertainty_m) && r.uncertainty_m > 0 ? ` (±${Math.round(r.uncertainty_m)} m)` : "";
    if (where) parts.push(where + within);
    const sa = r.in_service_area === true ? "IN" : r.in_service_area === false ? "OUT" : "?";
    parts.push(`SVC AREA ${sa}${r.service_area ? " " + r.service_area : ""}`);
    const progs = r.programs || [];
    parts.push(progs.length ? `ELIGIBLE ${progs.join(",")}` : `NO ${serviceName.toUpperCase()} PROGRAM`);
    if (r.call_type) parts.push(r.call_type.label || r.call_type.raw);
    if (r.local_time) parts.push(r.local_time.replace("T", " "));
    return parts.join(" | ");
  }

  async function copyText(box, button) {
    let done = false;
    try {
      if (navigator.clipboard && window.isSecureContext) { await navigator.clipboard.writeText(box.value); done = true; }
    } catch (e) { done = false; }
    if (!done) { box.focus(); box.select(); try { done = document.execCommand("copy"); } catch (e) { done = false; } }
    button.textContent = done ? "Copied" : "Select and copy (Ctrl+C)";
    if (!done) { box.focus(); box.select(); }
    setTimeout(() => { button.textContent = "Copy for CAD"; }, 2000);
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
    const hasPoint = Number.isFinite(r.lon) && Number.isFinite(r.lat);
    if (r.match_status !== null && r.match_status !== undefined) {  // an address lookup
      row("Matched", "card-matched", r.matched_address || "(no match)");
      row("Match quality", "card-quality", quality(r));
    } else if (r.shape && r.shape.kind !== "point") {
      row("Location", "card-matched", `caller's ${shapeWords(r.shape)} around ${r.lat.toFixed(6)}, ${r.lon.toFixed(6)}` +
        (r.pidfFile ? ` (PIDF-LO ${r.pidfFile})` : ""));
    } else if (hasPoint) {
      row("Location", "card-matched", `coordinates ${r.lat.toFixed(6)}, ${r.lon.toFixed(6)}` + (r.pidfFile ? ` (PIDF-LO ${r.pidfFile})` : ""));
    }
    if (r.pidf && r.pidf.civic_text) row("Civic address", "card-civic", `${r.pidf.civic_text}${r.pidf.used === "geodetic" ? " (not used: the shape answers)" : ""}`);
    if (r.shape && r.shape.kind !== "point") row("Shares", "card-shares", sharesText(r.shape));
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
        const place = c.matched_address || (typeof c.share === "number" ? `${Math.round(100 * c.share)}% of the shape` : "?");
        const b = el("button", { type: "button", class: "small pick", "data-index": String(i) },
          `${place} — ${words.unit} ${c.beat || (Number.isFinite(c.lon) ? "none (outside)" : "?")} (${sa}${share})` +
          ((c.programs || []).length ? `: ${c.programs.join(", ")}` : ""));
        b.addEventListener("click", () => lookup(c));
        list.append(el("li", {}, b));
      });
      row(streetOnly ? "Where on the street?" : (approximate && r.shape) ? "Where in the shape?" : approximate ? "Place found" : "Which place?", "card-pick", list);
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
    const line = cadLine(r);
    const copy = el("button", { type: "button", class: "small", id: "cad-copy" }, "Copy for CAD");
    const box = el("input", { type: "text", id: "cad-line", readonly: "", "aria-label": "One-line summary for CAD" });
    box.value = line;
    copy.addEventListener("click", () => copyText(box, copy));
    const children = [verdict, el("div", { class: "cad" }, box, copy), dl];
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
  const pidfBox = $("pidf");
  pidfBox.addEventListener("change", () => { lookupPidf(pidfBox.files[0]).finally(() => { pidfBox.value = ""; }); });
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
