/* supplyline front-end helpers shared by the board, the city page and the report.
 *
 * Every string that comes from data is put into the page as text (textContent, or an
 * attribute through setAttribute), never as HTML.
 *
 * Texts: SL.t(msg, {name: value}) gives the text in the page's language
 * (the catalogue embedded as the JSON block "supplyline-messages"; English when missing).
 * The first argument must be a literal in double quotes: the message extraction
 * (supplyline.i18n.extract_frontend_messages) collects it for the catalogue. Static text
 * of the .html files carries data-i18n="English text" (the element's text) or
 * data-i18n-title / data-i18n-aria-label (those attributes), applied at start-up.
 */
var SL = (function () {
  "use strict";

  var messages = null;

  /** The embedded catalogue {english: translation} (empty for English). */
  function catalogue() {
    if (messages === null) {
      var el = document.getElementById("supplyline-messages");
      try { messages = el ? JSON.parse(el.textContent) || {} : {}; } catch (e) { messages = {}; }
    }
    return messages;
  }

  /** ``msg`` (English) in the page's language, ``{name}`` filled from ``params``. */
  function t(msg, params) {
    catalogue();
    var out = Object.prototype.hasOwnProperty.call(messages, msg) ? messages[msg] : msg;
    if (!params) { return out; }
    return out.replace(/\{(\w+)\}/g, function (m, k) {
      return Object.prototype.hasOwnProperty.call(params, k) ? String(params[k]) : m;
    });
  }

  /** Translate the static texts marked with data-i18n* attributes (as text). */
  function translatePage(root) {
    var attrs = ["title", "aria-label"];
    (root || document).querySelectorAll("[data-i18n], [data-i18n-title], [data-i18n-aria-label]")
      .forEach(function (el) {
        var msg = el.getAttribute("data-i18n");
        if (msg) { el.textContent = t(msg); }
        attrs.forEach(function (a) {
          var m = el.getAttribute("data-i18n-" + a);
          if (m) { el.setAttribute(a, t(m)); }
        });
      });
  }

  /** The page's language (``<html lang>``). */
  function lang() { return document.documentElement.getAttribute("lang") || "en"; }

  /** A place's name in the page's language: the Ukrainian name where the data has one
   * and the page is Ukrainian, else the official romanisation. */
  function placeName(p) {
    if (!p) { return ""; }
    return lang() === "uk" && p.name_uk ? String(p.name_uk) : String(p.name || "");
  }

  /** An oblast's English name (Donetsk Oblast) in the page's language. */
  function oblastName(name) {
    catalogue();
    var key = "oblast\u0004" + name;
    return Object.prototype.hasOwnProperty.call(messages, key) ? messages[key] : String(name);
  }

  /** ``url`` with the ``lang`` of this page's address, when it has one (links and
   * permalinks keep a language chosen with ?lang=). */
  function keepLang(url) {
    var m = /[?&]lang=(en|uk)(?:&|$)/.exec(location.search);
    return m ? url + (url.indexOf("?") < 0 ? "?" : "&") + "lang=" + m[1] : url;
  }

  /** A default band name (held, contact, fpv, ...) for display; others as given. */
  function bandName(name) {
    var names = {held: t("held"), contact: t("contact"), fpv: t("fpv"), tube: t("tube"),
                 rocket: t("rocket"), beyond: t("beyond")};
    return Object.prototype.hasOwnProperty.call(names, name) ? names[name] : name;
  }

  /** A route status (open, cut, under fire (BAND)) for display. */
  function statusText(status) {
    if (status === null || status === undefined || status === "") { return "\u2014"; }
    if (status === "open") { return t("open"); }
    if (status === "cut") { return t("cut"); }
    var m = /^under fire \((.*)\)$/.exec(String(status));
    if (m) { return t("under fire ({band})", {band: bandName(m[1])}); }
    return String(status);
  }

  /** A network mode (road, rail) for display. */
  function modeText(mode) {
    return mode === "road" ? t("road") : mode === "rail" ? t("rail") : String(mode);
  }

  /** An event kind (route_cut, ...) for display. */
  function eventKind(kind) {
    var kinds = {band_entered: t("front entered a band"), centre_held: t("centre held"),
                 route_cut: t("route cut"), route_under_fire: t("route under fire"),
                 route_reopened: t("route reopened"), route_eased: t("route eased"),
                 routes_dropped: t("fewer independent routes"), line_reached: t("line reached")};
    return Object.prototype.hasOwnProperty.call(kinds, kind) ? kinds[kind]
      : String(kind).replace(/_/g, " ");
  }

  /** An element: h("td", {class: "num"}, "12.3") or h("tr", null, [h(...), ...]). */
  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    setAttrs(el, attrs);
    append(el, children);
    return el;
  }

  /** An SVG element (attributes as for h). */
  function s(tag, attrs, children) {
    var el = document.createElementNS("http://www.w3.org/2000/svg", tag);
    setAttrs(el, attrs);
    append(el, children);
    return el;
  }

  function setAttrs(el, attrs) {
    if (!attrs) { return; }
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) { return; }
      if (k === "text") { el.textContent = String(v); } else { el.setAttribute(k, String(v)); }
    });
  }

  function append(el, children) {
    if (children === null || children === undefined) { return; }
    if (!Array.isArray(children)) { children = [children]; }
    children.forEach(function (c) {
      if (c === null || c === undefined || c === false) { return; }
      el.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
    });
  }

  function clear(el) { while (el.firstChild) { el.removeChild(el.firstChild); } return el; }

  function num(v) { return typeof v === "number" && isFinite(v); }

  function fmt(v, nd, unit) {
    if (!num(v)) { return "\u2014"; }
    return v.toFixed(nd === undefined ? 1 : nd) + (unit || "");
  }

  function pct(v) { return num(v) ? Math.round(v * 100) + " %" : "\u2014"; }

  function signed(v, nd) {
    if (!num(v)) { return "\u2014"; }
    var t = v.toFixed(nd === undefined ? 1 : nd);
    return (v > 0 ? "+" : v < 0 ? "" : "\u00b1") + t;
  }

  function config() {
    var el = document.getElementById("supplyline-config");
    return el ? JSON.parse(el.textContent) : {};
  }

  /** GET JSON; a non-2xx answer rejects with the server's one-line error. */
  function getJSON(url) {
    return fetch(url, {headers: {Accept: "application/json"}}).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (!r.ok) { throw new Error(body.error || (r.status + " " + r.statusText)); }
        return body;
      });
    });
  }

  /* ---------------------------------------------------------------- palette */
  function bandIndex(P, status) {
    if (status === "cut") { return 0; }
    if (status === "open") { return P.bands.length - 1; }
    for (var i = 1; i < P.bands.length - 1; i++) {
      if (status === "under fire (" + P.bands[i].name + ")") { return i; }
    }
    return -1;
  }

  function statusColour(P, status) {
    var i = bandIndex(P, status);
    return i < 0 ? P.missing : P.bands[i].colour;
  }

  function swatch(colour, title) {
    return h("span", {class: "sw", style: "background:" + colour, title: title || null});
  }

  /** A short line sample in a band's colour and dash pattern (for legends). */
  function lineSample(colour, dash, width, casing) {
    var w = width || 3;
    var el = s("svg", {width: 30, height: 12, viewBox: "0 0 30 12", "aria-hidden": "true"});
    if (casing) {
      el.appendChild(s("line", {x1: 1, y1: 6, x2: 29, y2: 6, stroke: casing,
                                "stroke-width": w + 2}));
    }
    var a = {x1: 1, y1: 6, x2: 29, y2: 6, stroke: colour, "stroke-width": w};
    if (dash) { a["stroke-dasharray"] = dash.map(function (d) { return d * w; }).join(" "); }
    el.appendChild(s("line", a));
    return el;
  }

  /* ---------------------------------------------------------------- geometry */
  /** Delta-encoded 1e-4 degree integers to [[lon, lat], ...]. */
  function decode(q) {
    var out = [], x = 0, y = 0;
    for (var i = 0; i + 1 < q.length; i += 2) {
      x += q[i]; y += q[i + 1];
      out.push([x / 1e4, y / 1e4]);
    }
    return out;
  }

  function fc(features) { return {type: "FeatureCollection", features: features || []}; }

  function feature(geometry, props) {
    return {type: "Feature", properties: props || {}, geometry: geometry};
  }

  /* ---------------------------------------------------------------- dates */
  function dayNum(d) {
    return Math.round(Date.UTC(+d.slice(0, 4), +d.slice(5, 7) - 1, +d.slice(8, 10)) / 864e5);
  }

  function dateOf(n) { return new Date(n * 864e5).toISOString().slice(0, 10); }

  /** Index of the last of ``dates`` (sorted strings) on or before ``d`` (0 if none). */
  function atOrBefore(dates, d) {
    var lo = 0, hi = dates.length - 1, best = 0;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (dates[mid] <= d) { best = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return best;
  }

  /* ---------------------------------------------------------------- charts */
  var W = 560, H = 190, L = 46, R = 14, T = 36, B = 24;

  function niceTicks(lo, hi) {
    if (!(hi > lo)) { return [lo]; }
    var raw = (hi - lo) / 4, mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 2.5, 5, 10].map(function (m) { return m * mag; })
      .filter(function (v) { return v >= raw; })[0];
    var out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) {
      out.push(Math.round(v * 1e10) / 1e10);
    }
    return out;
  }

  function monthTicks(d0, d1) {
    var n0 = dayNum(d0), n1 = dayNum(d1), out = [];
    if (n1 - n0 <= 45) {
      for (var n = n0; n <= n1; n += 7) { out.push([n, dateOf(n).slice(5)]); }
      return out;
    }
    var y = +d0.slice(0, 4), m = +d0.slice(5, 7), months = [];
    for (;;) {
      m += 1; if (m > 12) { m = 1; y += 1; }
      var d = y + "-" + String(m).padStart(2, "0") + "-01";
      if (d > d1) { break; }
      months.push(d);
    }
    var every = Math.max(1, Math.ceil(months.length / 7));
    var names = [SL.t("Jan"), SL.t("Feb"), SL.t("Mar"), SL.t("Apr"), SL.t("May"), SL.t("Jun"),
                 SL.t("Jul"), SL.t("Aug"), SL.t("Sep"), SL.t("Oct"), SL.t("Nov"), SL.t("Dec")];
    months.forEach(function (d, i) {
      if (i % every) { return; }
      var mm = +d.slice(5, 7);
      out.push([dayNum(d), names[mm - 1] + (mm === 1 || i === 0 ? " " + d.slice(0, 4) : "")]);
    });
    return out;
  }

  /**
   * A line chart over dates: opts {id, title, dates, series: [{values, colour, label,
   * dash}], hlines: [{value, colour, label}], marks: [{date, label}], ymin, ymax, onPick,
   * strips: [{label, colours}] (a status strip instead of lines)}. Returns {el, cursor}.
   */
  function chart(opts) {
    var dates = opts.dates, n0 = dayNum(dates[0]), n1 = dayNum(dates[dates.length - 1]);
    var span = Math.max(n1 - n0, 1);
    var x = function (d) { return L + (dayNum(d) - n0) / span * (W - L - R); };
    var lo = opts.ymin, hi = opts.ymax;
    if (!(hi > lo)) { hi = lo + 1; }
    var y = function (v) { return H - B - (v - lo) / (hi - lo) * (H - T - B); };
    var el = s("svg", {class: "chart", id: opts.id, viewBox: "0 0 " + W + " " + H,
                       role: "img", "aria-label": opts.title});
    el.appendChild(s("text", {x: 4, y: 13, class: "title", text: opts.title}));
    el.appendChild(s("rect", {x: L, y: T, width: W - L - R, height: H - T - B,
                              fill: "#fafafa", stroke: "#ccc"}));
    if (!opts.strips) {
      niceTicks(lo, hi).forEach(function (v) {
        el.appendChild(s("line", {x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#e6e6e6"}));
        el.appendChild(s("text", {x: L - 4, y: y(v) + 3.5, "text-anchor": "end",
                                  class: "tick", text: String(Math.round(v * 100) / 100)}));
      });
    }
    monthTicks(dates[0], dates[dates.length - 1]).forEach(function (t) {
      var tx = L + (t[0] - n0) / span * (W - L - R);
      el.appendChild(s("line", {x1: tx, x2: tx, y1: T, y2: H - B + 3, stroke: "#e6e6e6"}));
      el.appendChild(s("text", {x: tx, y: H - B + 14, "text-anchor": "middle", class: "tick",
                                text: t[1]}));
    });
    (opts.hlines || []).forEach(function (hl) {
      if (hl.value < lo || hl.value > hi) { return; }
      el.appendChild(s("line", {x1: L, x2: W - R, y1: y(hl.value), y2: y(hl.value),
                                stroke: hl.colour, "stroke-width": 1,
                                "stroke-dasharray": "4 3"}));
      el.appendChild(s("text", {x: W - R - 2, y: y(hl.value) - 2, "text-anchor": "end",
                                class: "note", fill: hl.colour, text: hl.label}));
    });
    var legend = [];
    if (opts.strips) {
      drawStrips(el, opts, x, span);
    } else {
      (opts.series || []).forEach(function (sr) {
        drawSeries(el, dates, sr, x, y);
        legend.push([sr.colour, sr.label, sr.dash]);
      });
    }
    (opts.marks || []).forEach(function (m) {
      var mx = x(m.date);
      el.appendChild(s("path", {class: "event-mark", d: "M" + (mx - 4) + "," + T + " h8 l-4,6 z",
                                fill: "#444"}, s("title", {text: m.date + ": " + m.label})));
    });
    drawLegend(el, opts.legend || legend);
    var cur = s("line", {class: "cursor", x1: W - R, x2: W - R, y1: T, y2: H - B,
                         stroke: "#111", "stroke-width": 1.5});
    el.appendChild(cur);
    if (opts.onPick) {
      el.addEventListener("click", function (ev) {
        var r = el.getBoundingClientRect();
        var px = (ev.clientX - r.left) / r.width * W;
        var n = Math.round(n0 + (px - L) / (W - L - R) * span);
        opts.onPick(dateOf(Math.max(n0, Math.min(n1, n))));
      });
    }
    return {el: el, cursor: function (d) {
      var cx = x(d); cur.setAttribute("x1", cx); cur.setAttribute("x2", cx);
    }};
  }

  function drawSeries(el, dates, sr, x, y) {
    var seg = [];
    function flush() {
      if (seg.length === 1) {
        var p = seg[0].split(",");
        el.appendChild(s("circle", {class: "series", cx: p[0], cy: p[1], r: 1.8,
                                    fill: sr.colour}));
      } else if (seg.length > 1) {
        el.appendChild(s("polyline", {class: "series", points: seg.join(" "), fill: "none",
                                      stroke: sr.colour, "stroke-width": sr.width || 2,
                                      "stroke-dasharray": sr.dash || null,
                                      "stroke-linejoin": "round"}));
      }
      seg = [];
    }
    dates.forEach(function (d, i) {
      var v = sr.values[i];
      if (!num(v)) { flush(); return; }
      seg.push(x(d).toFixed(2) + "," + y(v).toFixed(2));
    });
    flush();
  }

  function drawStrips(el, opts, x, span) {
    var dw = (W - L - R) / span, rows = opts.strips, rh = (H - T - B - 10) / rows.length;
    rows.forEach(function (row, k) {
      var top = T + 5 + k * rh;
      el.appendChild(s("text", {x: L - 4, y: top + rh / 2 + 4, "text-anchor": "end",
                                class: "tick", text: row.label}));
      var start = 0;
      for (var i = 1; i <= opts.dates.length; i++) {  // runs of one colour as one rect
        if (i < opts.dates.length && row.colours[i] === row.colours[start]) { continue; }
        var x0 = x(opts.dates[start]) - dw / 2, x1 = x(opts.dates[i - 1]) + dw / 2;
        el.appendChild(s("rect", {class: "series", x: x0.toFixed(2), y: top.toFixed(2),
                                  width: Math.max(x1 - x0, 0.5).toFixed(2),
                                  height: (rh - 6).toFixed(2), fill: row.colours[start]},
                         s("title", {text: opts.dates[start] + " \u2013 " + opts.dates[i - 1] +
                                     " " + row.label + ": " + row.labels[start]})));
        start = i;
      }
    });
  }

  function drawLegend(el, legend) {
    var lx = W - R;
    legend.slice().reverse().forEach(function (it) {
      var w = 6 * String(it[1]).length + 26;
      lx -= w;
      if (it[3] === "box") {
        el.appendChild(s("rect", {x: lx, y: 19, width: 12, height: 10, fill: it[0]}));
      } else {
        el.appendChild(s("line", {x1: lx, x2: lx + 14, y1: 24, y2: 24, stroke: it[0],
                                  "stroke-width": 2.5, "stroke-dasharray": it[2] || null}));
      }
      el.appendChild(s("text", {x: lx + 17, y: 28, class: "legend", text: it[1]}));
    });
  }

  /** A small line sparkline of ``values`` (nulls are gaps). */
  function sparkline(values, opts) {
    opts = opts || {};
    var w = opts.width || 90, ht = opts.height || 20, ok = values.filter(num);
    var el = s("svg", {class: "spark", width: w, height: ht, viewBox: "0 0 " + w + " " + ht,
                       "aria-hidden": "true"});
    if (!ok.length) { return el; }
    var lo = opts.min !== undefined ? opts.min : Math.min.apply(null, ok);
    var hi = opts.max !== undefined ? opts.max : Math.max.apply(null, ok);
    if (!(hi > lo)) { hi = lo + 1; }
    var seg = [], n = Math.max(values.length - 1, 1);
    function flush() {
      if (seg.length > 1) {
        el.appendChild(s("polyline", {points: seg.join(" "), fill: "none",
                                      stroke: opts.colour || "#444", "stroke-width": 1.3}));
      }
      seg = [];
    }
    values.forEach(function (v, i) {
      if (!num(v)) { flush(); return; }
      seg.push((i / n * (w - 2) + 1).toFixed(1) + "," +
               (ht - 2 - (v - lo) / (hi - lo) * (ht - 4)).toFixed(1));
    });
    flush();
    return el;
  }

  /** A strip of status colours, one cell a day. */
  function statusSpark(colours, opts) {
    opts = opts || {};
    var w = opts.width || 90, ht = opts.height || 10, n = Math.max(colours.length, 1);
    var el = s("svg", {class: "spark", width: w, height: ht, viewBox: "0 0 " + w + " " + ht,
                       "aria-hidden": "true"});
    colours.forEach(function (c, i) {
      el.appendChild(s("rect", {x: (i / n * w).toFixed(2), y: 0,
                                width: (w / n + 0.3).toFixed(2), height: ht, fill: c}));
    });
    return el;
  }

  /* ---------------------------------------------------------------- maps */
  /** A style with nothing but the background: every layer is added from our data. */
  function mapStyle(P) {
    return {version: 8, sources: {}, layers: [
      {id: "background", type: "background", paint: {"background-color": P.background}}]};
  }

  /** A diagonal hatch pattern image named "hatch" (for the grey zone). */
  function addHatch(map, colour) {
    var n = 8, data = new Uint8Array(n * n * 4);
    var rgb = [parseInt(colour.slice(1, 3), 16), parseInt(colour.slice(3, 5), 16),
               parseInt(colour.slice(5, 7), 16)];
    for (var yy = 0; yy < n; yy++) {
      for (var xx = 0; xx < n; xx++) {
        var on = (xx + yy) % n < 2, o = (yy * n + xx) * 4;
        data[o] = rgb[0]; data[o + 1] = rgb[1]; data[o + 2] = rgb[2];
        data[o + 3] = on ? 200 : 40;
      }
    }
    if (!map.hasImage("hatch")) { map.addImage("hatch", {width: n, height: n, data: data}); }
  }

  /** A text label at a point (a DOM marker: no glyph server needed; text, not HTML). */
  function label(map, lngLat, text, cls) {
    var el = h("div", {class: "lbl " + (cls || ""), text: text});
    return new maplibregl.Marker({element: el, anchor: "left"}).setLngLat(lngLat).addTo(map);
  }

  /** A popup of a title and [label, value] rows, built as text. */
  function popup(map, lngLat, title, rows) {
    var body = h("div", {class: "popup"}, [h("div", {class: "popup-title", text: title})]);
    var t = h("table");
    rows.forEach(function (r) {
      if (r[1] === null || r[1] === undefined || r[1] === "") { return; }
      t.appendChild(h("tr", null, [h("td", {class: "muted", text: r[0]}),
                                   h("td", null, r[1])]));
    });
    body.appendChild(t);
    return new maplibregl.Popup({maxWidth: "320px"}).setLngLat(lngLat).setDOMContent(body)
      .addTo(map);
  }

  /** Attribution (also in the page footer), collapsed to its (i) button at first. */
  function attribution(map, text) {
    map.addControl(new maplibregl.AttributionControl({compact: true, customAttribution: text}));
    map.once("load", function () {
      var el = map.getContainer().querySelector(".maplibregl-ctrl-attrib");
      if (el) { el.classList.remove("maplibregl-compact-show"); el.removeAttribute("open"); }
    });
  }

  translatePage();  // the scripts come after the page's static elements

  return {t: t, translatePage: translatePage, keepLang: keepLang, lang: lang,
          placeName: placeName, oblastName: oblastName, bandName: bandName, statusText: statusText,
          modeText: modeText, eventKind: eventKind, h: h, s: s, clear: clear, num: num, fmt: fmt, pct: pct, signed: signed,
          config: config, getJSON: getJSON, bandIndex: bandIndex, statusColour: statusColour,
          swatch: swatch, lineSample: lineSample, decode: decode, fc: fc, feature: feature,
          dayNum: dayNum, dateOf: dateOf, atOrBefore: atOrBefore, chart: chart,
          sparkline: sparkline, statusSpark: statusSpark, mapStyle: mapStyle,
          addHatch: addHatch, label: label, popup: popup, attribution: attribution};
})();
