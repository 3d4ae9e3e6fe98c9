/* The city page: map with a date slider, charts, events, forecasts.
 *
 * One front-end for the web service (data fetched from /api/city/...) and the offline
 * report (data embedded in the page, config.mode === "embedded"). Every data-derived
 * string is set as text.
 */
(function () {
  "use strict";
  var h = SL.h, fmt = SL.fmt, KM = " " + SL.t("km");
  var C = SL.config();
  var source = C.mode === "embedded" ? embeddedSource() : serverSource();
  var page, P, frames, map, charts = [], current = -1, wanted = -1, seq = 0, timer = null;
  var lineFeatures = [], hubIndex = {}, labels = [], lastDay = null;
  var routeMode = "road";

  /* ------------------------------------------------------------ data sources */
  function embeddedSource() {
    var data = JSON.parse(document.getElementById("supplyline-data").textContent);
    return {
      page: function () { return Promise.resolve(data.page); },
      frames: function () { return data.frame_dates; },
      day: function (d) { return Promise.resolve(data.frames[d]); },
      playStep: 1
    };
  }

  function serverSource() {
    var base = C.api + "/city/" + encodeURIComponent(C.city);
    var q = [];
    if (C.from) { q.push("from=" + encodeURIComponent(C.from)); }
    if (C.to) { q.push("to=" + encodeURIComponent(C.to)); }
    var cache = {};
    return {
      page: function () { return SL.getJSON(base + "/page" + (q.length ? "?" + q.join("&") : "")); },
      frames: function (pg) { return pg.series.date; },
      day: function (d) {
        if (!cache[d]) {
          cache[d] = SL.getJSON(base + "/day?date=" + d).catch(function (e) {
            delete cache[d]; throw e;
          });
        }
        return cache[d];
      },
      playStep: 7
    };
  }

  /* ------------------------------------------------------------ start */
  source.page().then(init).catch(function (e) { fail(e); });

  function fail(e) {
    var el = document.getElementById("status-line");
    el.textContent = SL.t("Error: {message}", {message: e && e.message ? e.message : String(e)});
    el.className = "error";
    document.body.setAttribute("data-error", "1");
  }

  function init(pg) {
    page = pg;
    P = page.palette;
    frames = source.frames(page);
    page.hubs.forEach(function (hb, i) { hubIndex[hb.id] = i; });
    header();
    setupSlider();
    charts = buildCharts();
    eventsTable();
    forecastsTable();
    legend();
    footer();
    var start = initialIndex();
    setupMap(function () { show(start, true); });
  }

  function header() {
    var c = page.city;
    var name = SL.placeName(c) + (c.oblast ? ", " + SL.oblastName(c.oblast) : "");
    document.title = SL.placeName(c) + " \u2014 supplyline";
    document.getElementById("city-name").textContent =
      SL.t("{city}: supply lines and held territory", {city: name});
    var hubs = page.hubs.map(SL.placeName).join(", ") || SL.t("none found");
    var miss = page.series.missing.filter(Boolean).length;
    document.getElementById("city-sub").textContent =
      SL.t("{first} to {last}", {first: page.range[0], last: page.range[1]}) + " \u00b7 " +
      SL.t("rear hubs (chosen on each date): {hubs}", {hubs: hubs}) + " \u00b7 " +
      SL.t("{days} days, {missing} without control data",
           {days: page.series.date.length, missing: miss}) +
      (C.mode === "embedded" ? " \u00b7 " + SL.t("map dates every {step} days and the last day",
                                                   {step: C.step_days}) : "");
  }

  function initialIndex() {
    var m = /[?&#]date=(\d{4}-\d{2}-\d{2})/.exec(location.search + location.hash);
    var want = m ? m[1] : (C.date || frames[frames.length - 1]);
    return SL.atOrBefore(frames, want);
  }

  /* ------------------------------------------------------------ slider, keys, play */
  function setupSlider() {
    var sl = document.getElementById("slider");
    sl.min = 0; sl.max = frames.length - 1; sl.step = 1; sl.value = frames.length - 1;
    sl.addEventListener("input", function () { show(+sl.value); });
    sl.addEventListener("change", function () { show(+sl.value); });
    document.getElementById("play").addEventListener("click", togglePlay);
    document.getElementById("route-mode").addEventListener("change", function (ev) {
      routeMode = ev.target.value; filterRoutes();
    });
    document.addEventListener("keydown", function (ev) {
      var tag = (ev.target && ev.target.tagName) || "";
      if (/INPUT|SELECT|TEXTAREA|BUTTON/.test(tag) || ev.altKey || ev.ctrlKey || ev.metaKey) {
        return;
      }
      var k = {ArrowLeft: -1, ArrowRight: 1, PageUp: -source.playStep,
               PageDown: source.playStep}[ev.key];
      if (k) { show(current + k); ev.preventDefault(); }
      else if (ev.key === "Home") { show(0); ev.preventDefault(); }
      else if (ev.key === "End") { show(frames.length - 1); ev.preventDefault(); }
      else if (ev.key === " ") { togglePlay(); ev.preventDefault(); }
    });
  }

  function togglePlay() {
    var btn = document.getElementById("play");
    if (timer) { clearTimeout(timer); timer = null; btn.textContent = "\u25B6"; return; }
    if (current >= frames.length - 1) { show(0); }
    btn.textContent = "\u275A\u275A";
    var tick = function () {
      if (current >= frames.length - 1) { timer = null; btn.textContent = "\u25B6"; return; }
      show(Math.min(frames.length - 1, current + source.playStep)).then(function () {
        if (timer) { timer = setTimeout(tick, 700); }
      });
    };
    timer = setTimeout(tick, 300);
  }

  /** Go to frame ``i``: slider, label, permalink, charts and events at once; the map and
   * the side panel when the day's data is there (a later request wins). */
  function show(i, force) {
    i = Math.max(0, Math.min(frames.length - 1, i | 0));
    if (i === current && !force) { return Promise.resolve(); }
    current = i;
    var d = frames[i], sl = document.getElementById("slider");
    if (+sl.value !== i) { sl.value = String(i); }
    document.getElementById("date-label").textContent = d;
    permalink(d);
    charts.forEach(function (c) { c.cursor(d); });
    markEvents(d, i > 0 ? frames[i - 1] : "");
    var my = ++seq;
    document.getElementById("map").classList.add("busy");
    return source.day(d).then(function (day) {
      if (my !== seq) { return; }
      var line = document.getElementById("status-line");
      if (line.className === "error") { line.textContent = ""; line.className = "muted"; }
      applyDay(day);
      document.getElementById("map").classList.remove("busy");
      document.body.setAttribute("data-date", d);
      document.body.setAttribute("data-ready", "1");
    }).catch(function (e) {
      if (my === seq) { document.getElementById("map").classList.remove("busy"); fail(e); }
    });
  }

  function permalink(d) {
    var a = document.getElementById("permalink");
    if (C.mode === "embedded") {
      a.setAttribute("href", "#date=" + d);
      if (history.replaceState) { history.replaceState(null, "", "#date=" + d); }
      return;
    }
    var url = SL.keepLang(location.pathname + "?date=" + d +
      (C.from ? "&from=" + encodeURIComponent(C.from) : "") +
      (C.to ? "&to=" + encodeURIComponent(C.to) : ""));
    a.setAttribute("href", url);
    if (history.replaceState) { history.replaceState(null, "", url); }
  }

  /* ------------------------------------------------------------ map */
  function setupMap(ready) {
    var b = page.view;
    map = new maplibregl.Map({container: "map", style: SL.mapStyle(P),
                              bounds: [[b[0], b[1]], [b[2], b[3]]],
                              attributionControl: false, dragRotate: false,
                              pitchWithRotate: false, maxZoom: 15, minZoom: 5,
                              fadeDuration: 0});
    window.supplylineMap = map;  // for scripted checks (tests, the console)
    map.touchZoomRotate.disableRotation();
    map.addControl(new maplibregl.NavigationControl({showCompass: false}), "top-right");
    map.addControl(new maplibregl.ScaleControl({unit: "metric"}), "bottom-left");
    SL.attribution(map, page.attribution);
    map.on("load", function () {
      SL.addHatch(map, P.grey_fill);
      addSources();
      addLayers();
      addPlaces();
      map.on("click", onClick);
      ready();
    });
  }

  function addSources() {
    var base = page.base;
    var obl = base.oblasts.map(function (q) {
      return SL.feature({type: "LineString", coordinates: SL.decode(q)});
    });
    var riv = base.rivers.map(function (r) {
      return SL.feature({type: "LineString", coordinates: SL.decode(r.coords)}, {name: r.name});
    });
    var L = base.lines;
    lineFeatures = L.coords.map(function (q, i) {
      var kind = L.kinds[L.kind[i]];
      return {type: "Feature", id: i, geometry: {type: "LineString", coordinates: SL.decode(q)},
              properties: {m: kind[0], c: kind[1], r: L.ref[i] >= 0 ? L.refs[L.ref[i]] : null,
                           b: P.bands.length - 1, cl: -1}};
    });
    var empty = SL.fc();
    map.addSource("oblasts", {type: "geojson", data: SL.fc(obl)});
    map.addSource("rivers", {type: "geojson", data: SL.fc(riv)});
    ["zones", "held", "grey", "routes", "rings", "points"].forEach(function (id) {
      map.addSource(id, {type: "geojson", data: empty});
    });
    map.addSource("lines", {type: "geojson", data: SL.fc(lineFeatures)});
    map.addSource("places", {type: "geojson", data: SL.fc(base.places.map(function (p) {
      return SL.feature({type: "Point", coordinates: [p.lon, p.lat]},
                        {name: p.name, population: p.population});
    }))});
  }

  function addLayers() {
    var bands = P.bands, nb = bands.length;
    for (var k = nb - 2; k >= 1; k--) {  // band zones, farthest first
      map.addLayer({id: "zone-" + k, type: "fill", source: "zones",
                    filter: ["==", ["get", "index"], k],
                    paint: {"fill-color": bands[k].colour, "fill-opacity": 0.07}});
      map.addLayer({id: "zone-line-" + k, type: "line", source: "zones",
                    filter: ["==", ["get", "index"], k],
                    paint: {"line-color": bands[k].colour, "line-width": 1,
                            "line-dasharray": [4, 3], "line-opacity": 0.8}});
    }
    map.addLayer({id: "rivers", type: "line", source: "rivers",
                  paint: {"line-color": P.river, "line-width": 1.2}});
    map.addLayer({id: "oblasts", type: "line", source: "oblasts",
                  paint: {"line-color": P.oblast, "line-width": 1.4, "line-dasharray": [4, 3]}});
    map.addLayer({id: "held", type: "fill", source: "held",
                  paint: {"fill-color": P.held_fill, "fill-opacity": P.held_alpha}});
    map.addLayer({id: "held-line", type: "line", source: "held",
                  paint: {"line-color": P.held_edge, "line-width": 1}});
    map.addLayer({id: "grey", type: "fill", source: "grey",
                  paint: {"fill-pattern": "hatch", "fill-opacity": 0.9}});
    map.addLayer({id: "routes-safest", type: "line", source: "routes",
                  filter: ["==", ["get", "kind"], "safest"],
                  layout: {"line-cap": "round", "line-join": "round"},
                  paint: {"line-color": ["get", "colour"], "line-width": 10,
                          "line-opacity": 0.4}});
    var width = ["match", ["get", "c"], "motorway", 3.4, "primary", 2.6, "secondary", 1.7, 2.2];
    map.addLayer({id: "road-casing", type: "line", source: "lines",
                  filter: ["all", ["==", ["get", "m"], "road"], ["!=", ["get", "c"], "secondary"]],
                  layout: {"line-cap": "round"},
                  paint: {"line-color": "#ffffff", "line-width": ["+", width, 1.6]}});
    for (var b = 0; b < nb; b++) {
      ["rail", "road"].forEach(function (m) {
        var paint = {"line-color": bands[b].colour,
                     "line-width": m === "rail" ? 3.2 : width};
        if (bands[b].dash) { paint["line-dasharray"] = bands[b].dash; }
        map.addLayer({id: m + "-b" + b, type: "line", source: "lines",
                      filter: ["all", ["==", ["get", "m"], m], ["==", ["get", "b"], b]],
                      layout: {"line-cap": bands[b].dash ? "butt" : "round"}, paint: paint});
      });
    }
    map.addLayer({id: "rail-core", type: "line", source: "lines",
                  filter: ["==", ["get", "m"], "rail"],
                  paint: {"line-color": "#ffffff", "line-width": 0.9}});
    map.addLayer({id: "routes-peacetime", type: "line", source: "routes",
                  filter: ["==", ["get", "kind"], "peacetime"],
                  paint: {"line-color": ["get", "colour"], "line-width": 2.4,
                          "line-dasharray": [2, 1.5]}});
    map.addLayer({id: "rings", type: "line", source: "rings",
                  paint: {"line-color": "#333333", "line-width": 1, "line-opacity": 0.6,
                          "line-dasharray": [1, 2]}});
    map.addLayer({id: "places", type: "circle", source: "places",
                  paint: {"circle-radius": ["case", [">=", ["get", "population"], 50000], 4, 2.6],
                          "circle-color": "#333333", "circle-stroke-color": "#ffffff",
                          "circle-stroke-width": 1}});
    map.addLayer({id: "points", type: "circle", source: "points",
                  paint: {"circle-radius": ["get", "r"], "circle-color": ["get", "fill"],
                          "circle-stroke-color": ["get", "stroke"],
                          "circle-stroke-width": ["get", "sw"]}});
    filterRoutes();
  }

  function addPlaces() {
    page.base.places.slice(0, 30).forEach(function (p) {
      SL.label(map, [p.lon, p.lat], SL.placeName(p), p.population >= 50000 ? "" : "small");
    });
  }

  function filterRoutes() {
    if (!map || !map.getLayer("routes-safest")) { return; }
    var f = routeMode === "both" ? null : ["==", ["get", "mode"], routeMode];
    ["safest", "peacetime"].forEach(function (k) {
      var base = ["==", ["get", "kind"], k];
      map.setFilter("routes-" + k, f ? ["all", base, f] : base);
    });
  }

  function hubColour(id) {
    if (!(id in hubIndex)) { hubIndex[id] = Object.keys(hubIndex).length; }
    return P.hubs[hubIndex[id] % P.hubs.length];
  }

  /** Draw one date's layers and figures. */
  function applyDay(day) {
    lastDay = day;
    var set = function (id, data) { map.getSource(id).setData(data); };
    set("held", day.held ? SL.feature(day.held) : SL.fc());
    set("grey", day.grey ? SL.feature(day.grey) : SL.fc());
    set("zones", SL.fc(day.zones.filter(function (z) { return z.geometry; }).map(function (z) {
      return SL.feature(z.geometry, {index: z.index, band: z.band});
    })));
    var bands = day.lines.band, clear = day.lines.clear;
    lineFeatures.forEach(function (f, i) {
      f.properties.b = bands.charCodeAt(i) - 48; f.properties.cl = clear[i];
    });
    set("lines", SL.fc(lineFeatures));
    day.routes.features.forEach(function (f) { f.properties.colour = hubColour(f.properties.hub_id); });
    set("routes", day.routes);
    set("rings", day.rings);
    set("points", SL.fc(points(day)));
    pointLabels(day);
    sidePanel(day);
  }

  function points(day) {
    var out = [], c = page.city;
    (day.hubs || []).forEach(function (hb) {
      out.push(SL.feature({type: "Point", coordinates: [hb.lon, hb.lat]},
                          {kind: "hub", id: hb.id, name: SL.placeName(hb), r: 7, fill: hubColour(hb.id),
                           stroke: "#ffffff", sw: 2}));
    });
    (day.bottlenecks || []).forEach(function (b) {
      out.push(SL.feature({type: "Point", coordinates: [b.lon, b.lat]},
                          {kind: "bottleneck", mode: b.mode, ref: b.route_number, near: b.near,
                           clearance: b.clearance_km, r: 5, fill: P.bottleneck,
                           stroke: "#000000", sw: 1.5}));
    });
    if (day.narrowest && day.narrowest.connected) {
      var n = day.narrowest;
      out.push(SL.feature({type: "Point", coordinates: [n.lon, n.lat]},
                          {kind: "narrowest", width: n.width_km, near: n.near, r: 6,
                           fill: P.narrow, stroke: "#000000", sw: 1.5}));
    }
    out.push(SL.feature({type: "Point", coordinates: [c.lon, c.lat]},
                        {kind: "city", name: SL.placeName(c), r: 8, fill: "#ffffff", stroke: "#000000",
                         sw: 3}));
    return out;
  }

  function pointLabels(day) {
    labels.forEach(function (m) { m.remove(); });
    labels = [SL.label(map, [page.city.lon, page.city.lat], SL.placeName(page.city), "city")];
    (day.hubs || []).forEach(function (hb) {
      labels.push(SL.label(map, [hb.lon, hb.lat], SL.placeName(hb), "hub"));
    });
  }

  var CLICKABLE = ["points", "routes-peacetime", "routes-safest", "rings"];

  function onClick(ev) {
    var layers = CLICKABLE.concat(P.bands.map(function (b, i) { return "road-b" + i; }),
                                  P.bands.map(function (b, i) { return "rail-b" + i; }));
    var pad = 4, bb = [[ev.point.x - pad, ev.point.y - pad], [ev.point.x + pad, ev.point.y + pad]];
    var fs = map.queryRenderedFeatures(bb, {layers: layers.filter(function (l) {
      return map.getLayer(l);
    })});
    if (!fs.length) { return; }
    var f = fs[0], p = f.properties, lid = f.layer.id;
    if (lid === "points") { return pointPopup(ev.lngLat, p); }
    if (lid.indexOf("routes-") === 0) {
      return SL.popup(map, ev.lngLat, (p.kind === "safest" ?
        SL.t("Safest {mode} route to {hub}", {mode: SL.modeText(p.mode), hub: p.hub}) :
        SL.t("Peacetime {mode} route to {hub}", {mode: SL.modeText(p.mode), hub: p.hub})), [
          [SL.t("status"), SL.statusText(p.status)], [SL.t("length"), fmt(p.length_km, 1, KM)],
          [SL.t("detour"), fmt(p.detour, 2, "\u00d7")],
          [SL.t("closest to held"), fmt(p.min_clearance_km, 1, KM)],
          [SL.t("route numbers"), p.route_numbers],
          [SL.t("pair status"), p.pair_status ? SL.statusText(p.pair_status) : null]]);
    }
    if (lid === "rings") {
      return SL.popup(map, ev.lngLat, SL.t("{km} km ring", {km: p.radius_km}), [
        [SL.t("held"), SL.pct(p.held_share)], [SL.t("held from"), p.description]]);
    }
    var band = P.bands[p.b];
    return SL.popup(map, ev.lngLat, p.m === "rail" ? SL.t("Railway") :
      (p.r || SL.t("Road")) + " (" + (p.c === "motorway" ? SL.t("motorway") :
        p.c === "primary" ? SL.t("primary") : p.c === "secondary" ? SL.t("secondary") : p.c) + ")", [
      [SL.t("route number"), p.r], [SL.t("band"), band ? bandLabel(p.b) : null],
      [SL.t("clearance"), p.cl < 0 ? SL.t("more than {km} km from held territory (measured up to there)", {km: fmt(page.clearance_cap_km, 0)}) : p.b === 0 ?
        SL.t("in held territory") :
        SL.t("{km} km from held territory", {km: fmt(p.cl / 10, 1)})]]);
  }

  function pointPopup(lngLat, p) {
    if (p.kind === "city") {
      var f = lastDay.figures;
      return SL.popup(map, lngLat, p.name, [
        [SL.t("centre"), f.centre_held ? SL.t("held") :
          SL.t("{km} km from the front", {km: fmt(f.distance_to_front_km, 1)})],
        [SL.t("held territory"), fmt(f.distance_to_held_km, 1, KM)],
        [SL.t("band"), f.centre_band ? SL.bandName(f.centre_band) : null],
        [SL.t("corridor"), SL.t("{km} km open ground", {km: fmt(f.corridor_width_km, 1)})]]);
    }
    if (p.kind === "hub") {
      var rows = [];
      Object.keys(lastDay.figures.modes || {}).forEach(function (m) {
        (lastDay.figures.modes[m].hubs || []).forEach(function (x) {
          if (x.hub_id === p.id) { rows.push([SL.modeText(m), SL.statusText(x.status)]); }
        });
      });
      return SL.popup(map, lngLat, SL.t("Rear hub: {name}", {name: p.name}), rows);
    }
    if (p.kind === "narrowest") {
      return SL.popup(map, lngLat, SL.t("Narrowest open-ground corridor"), [
        [SL.t("width"), fmt(p.width, 1, KM)], [SL.t("where"), p.near]]);
    }
    return SL.popup(map, lngLat, SL.t("Bottleneck ({mode})", {mode: SL.modeText(p.mode)}), [
      [SL.t("route number"), p.ref], [SL.t("where"), p.near],
      [SL.t("clearance"), fmt(p.clearance, 1, KM)]]);
  }

  function bandLabel(i) {
    var b = P.bands;
    if (i === 0) { return SL.t("held"); }
    if (i === b.length - 1) { return SL.t("beyond {km} km", {km: b[b.length - 2].max_km}); }
    return SL.t("{band} ({lo}\u2013{hi} km)", {band: SL.bandName(b[i].name),
                                               lo: i > 1 ? b[i - 1].max_km : 0, hi: b[i].max_km});
  }

  /* ------------------------------------------------------------ side panel */
  function sidePanel(day) {
    var el = SL.clear(document.getElementById("day-panel"));
    var f = day.figures;
    el.appendChild(h("h3", {text: day.date}));
    if (!day.exact) {
      el.appendChild(h("p", {class: "warn", text: SL.t("No control data for this day: the map shows {day}, the last known day before it.", {day: day.data_date})}));
    }
    el.appendChild(h("p", null, f.centre_held ? h("b", {text: SL.t("City centre held.")}) : [
      SL.t("Centre to the front:") + " ", h("b", {text: fmt(f.distance_to_front_km, 1, KM)}),
      " (" + (f.centre_band ? SL.bandName(f.centre_band) : "") + ")"]));
    el.appendChild(h("p", {text: SL.t("Rings held: {rings}", {rings: (f.rings || []).map(
      function (r) { return r.radius_km + KM + " " + SL.pct(r.held_share); }).join(" \u00b7 ")})}));
    el.appendChild(h("p", null, [SL.t("Open-ground corridor:") + " ",
      h("b", {text: fmt(f.corridor_width_km, 1, KM)}),
      f.corridor_connected === false ? " " + SL.t("(not connected)") : ""]));
    if (f.flanks) {
      el.appendChild(h("p", {class: "muted", text: SL.t("Flanks: {flanks}", {flanks: f.flanks})}));
    }
    if (day.routes_error) { el.appendChild(h("p", {class: "warn", text: day.routes_error})); }
    var rows = [];
    Object.keys(f.modes || {}).forEach(function (m) {
      var md = f.modes[m];
      if (md.error) {
        rows.push(h("tr", null, [h("td", {text: SL.modeText(m)}),
                                 h("td", {colspan: 4, text: md.error})]));
      }
      (md.hubs || []).forEach(function (x) {
        rows.push(h("tr", null, [
          h("td", {text: SL.modeText(m)}), h("td", {text: x.hub}),
          h("td", {class: "nowrap"}, [SL.swatch(SL.statusColour(P, x.status)),
                                      SL.statusText(x.status)]),
          h("td", {class: "num", text: fmt(x.safest_min_clearance_km, 1)}),
          h("td", {class: "num", text: fmt(x.safest_length_km, 0)})]));
      });
    });
    if (rows.length) {
      el.appendChild(h("div", {class: "scroll"}, h("table", {class: "compact", id: "day-routes"}, [
        h("thead", null, h("tr", null, [SL.t("Mode"), SL.t("To hub"), SL.t("Status"),
                                        SL.t("Clear km"), SL.t("Length km")]
          .map(function (t) { return h("th", {text: t}); }))),
        h("tbody", null, rows)])));
    }
  }

  function legend() {
    var el = document.getElementById("legend");
    var rows = [h("div", {class: "legend-row"}, [SL.swatch(P.held_fill), SL.t("held territory")])];
    if (page.grey_known) {
      rows.push(h("div", {class: "legend-row"}, [SL.swatch("#bdbdbd"), SL.t("grey (contested) zone")]));
    } else {
      rows.push(h("div", {class: "muted", text: SL.t("No grey (contested) zone in this data.")}));
    }
    rows.push(h("div", {class: "lh", text: SL.t("Main roads and railways by distance to held territory on the date (colour and pattern):")}));
    P.bands.forEach(function (b, i) {
      rows.push(h("div", {class: "legend-row"}, [SL.lineSample(b.colour, b.dash, 3), bandLabel(i)]));
    });
    rows.push(h("div", {class: "legend-row"}, [SL.lineSample("#777777", null, 3.2),
      SL.t("railway: white core line")]));
    rows.push(h("div", {class: "lh", text: SL.t("Routes to each rear hub (hub colour):")}));
    rows.push(h("div", {class: "legend-row"}, [SL.lineSample(P.hubs[0], null, 6),
      SL.t("safest route (farthest from held territory)")]));
    rows.push(h("div", {class: "legend-row"}, [SL.lineSample(P.hubs[0], [2, 1.5], 2.4),
      SL.t("peacetime (shortest) route")]));
    rows.push(h("div", {class: "legend-row"}, [SL.swatch(P.narrow), SL.t("narrowest corridor point")]));
    rows.push(h("div", {class: "legend-row"}, [SL.swatch(P.bottleneck), SL.t("bottleneck edge")]));
    rows.push(h("div", {class: "legend-row"}, [SL.lineSample("#333333", [1, 2], 1),
      SL.t("rings ({radii} km)", {radii: page.radii.join(", ")})]));
    rows.push(h("div", {class: "muted", text: SL.t("Click a road, railway, route, ring or marker for its figures.")}));
    rows.forEach(function (r) { el.appendChild(r); });
  }

  /* ------------------------------------------------------------ charts */
  function buildCharts() {
    var box = SL.clear(document.getElementById("charts"));
    var sr = page.series, dates = sr.date, bands = P.bands;
    var col = function (name) {
      var v = sr[name] || [];
      return dates.map(function (d, i) { return sr.missing[i] ? null : v[i]; });
    };
    var maxOf = function (arrs) {
      var m = 0;
      arrs.forEach(function (a) { a.forEach(function (v) { if (SL.num(v) && v > m) { m = v; } }); });
      return m;
    };
    var hl = bands.slice(1, -1).map(function (b) {
      return {value: b.max_km, colour: b.colour, label: SL.bandName(b.name) + " " + b.max_km + KM};
    });
    var pick = function (d) { show(SL.atOrBefore(frames, d)); };
    var marks = page.events.map(function (e) {
      return {date: e.date, label: SL.eventKind(e.kind) + ": " + e.subject};
    });
    var out = [];
    var dist = col("distance_to_front_km");
    out.push(SL.chart({id: "chart-distance", title: SL.t("Distance from the city centre to the front (km)"),
      dates: dates, ymin: 0, ymax: Math.max(maxOf([dist]) * 1.1, 1), hlines: hl, marks: marks,
      series: [{values: dist, colour: "#b71c1c", label: SL.t("distance")}], onPick: pick}));
    var ringCols = ["#b2182b", "#ef8a62", "#67a9cf", "#2166ac", "#5e3c99", "#1b7837"];
    out.push(SL.chart({id: "chart-rings", title: SL.t("Ring occupancy: held share of the circle at each radius (%)"),
      dates: dates, ymin: 0, ymax: 100, onPick: pick,
      series: page.radii.map(function (r, i) {
        return {values: col("ring_held_share_" + r + "km").map(function (v) {
          return SL.num(v) ? v * 100 : null; }), colour: ringCols[i % ringCols.length],
                dash: i % 2 ? "5 3" : null, label: r + KM};
      })}));
    var modes = ["road", "rail"].filter(function (m) { return sr[m + "_status"]; });
    out.push(SL.chart({id: "chart-status", title: SL.t("Route status, best of the rear hubs (per mode)"),
      dates: dates, ymin: 0, ymax: 1, onPick: pick,
      strips: modes.map(function (m) {
        var st = sr[m + "_status"];
        return {label: SL.modeText(m), colours: dates.map(function (d, i) {
                  return sr.missing[i] ? P.missing : SL.statusColour(P, st[i]); }),
                labels: dates.map(function (d, i) { return sr.missing[i] ? SL.t("no data") : SL.statusText(st[i]); })};
      }),
      legend: [[SL.t("cut"), bands[0].colour], [SL.t("open"), bands[bands.length - 1].colour]].concat(
        bands.slice(1, -1).map(function (b) { return [SL.bandName(b.name), b.colour]; }))
        .map(function (x) { return [x[1], x[0], null, "box"]; })}));
    var clear = modes.map(function (m) { return col(m + "_best_min_clearance_km"); });
    out.push(SL.chart({id: "chart-clearance", title: SL.t("Safest route: closest approach to held territory (km)"),
      dates: dates, ymin: 0, ymax: Math.max(maxOf(clear) * 1.1, 1), hlines: hl, onPick: pick,
      series: modes.map(function (m, i) {
        return {values: clear[i], colour: m === "road" ? "#37474f" : "#8e24aa",
                dash: m === "rail" ? "5 3" : null, label: SL.modeText(m)};
      })}));
    var cor = col("corridor_width_km");
    out.push(SL.chart({id: "chart-corridor", title: SL.t("Corridor width to the rear: open ground (km)"),
      dates: dates, ymin: 0, ymax: Math.max(maxOf([cor]) * 1.1, 1), onPick: pick,
      series: [{values: cor, colour: "#00796b", label: SL.t("corridor")}]}));
    if (page.area_column) {
      var a = col(page.area_column), ok = a.filter(SL.num);
      var lo = ok.length ? Math.min.apply(null, ok) : 0, hi = ok.length ? Math.max.apply(null, ok) : 1;
      var pad = Math.max((hi - lo) * 0.1, 1), r = page.area_column.replace("held_area_", "").split("km")[0];
      out.push(SL.chart({id: "chart-area", title: SL.t("Held area within {km} km of the centre (km\u00b2)", {km: r}),
        dates: dates, ymin: Math.max(lo - pad, 0), ymax: hi + pad, onPick: pick,
        series: [{values: a, colour: P.held_fill, label: SL.t("held area")}]}));
    }
    out.forEach(function (c) { box.appendChild(c.el); });
    return out;
  }

  /* ------------------------------------------------------------ tables */
  function eventsTable() {
    var box = SL.clear(document.getElementById("events-box"));
    if (!page.events.length) {
      box.appendChild(h("p", {class: "muted", text: SL.t("No events in this range.")}));
      return;
    }
    var rows = page.events.map(function (e) {
      var tr = h("tr", {"data-date": e.date}, [
        h("td", {class: "nowrap", text: e.date}), h("td", {text: SL.eventKind(e.kind)}),
        h("td", {text: e.subject}), h("td", {text: e.detail})]);
      tr.addEventListener("click", function () { show(SL.atOrBefore(frames, e.date)); });
      return tr;
    });
    box.appendChild(h("div", {class: "scroll"}, h("table", {id: "events"}, [
      h("thead", null, h("tr", null, [SL.t("Date"), SL.t("Event"), SL.t("Subject"), SL.t("Detail")].map(function (t) {
        return h("th", {text: t}); }))), h("tbody", null, rows)])));
  }

  function markEvents(d, prev) {
    document.querySelectorAll("#events tbody tr").forEach(function (r) {
      var ed = r.getAttribute("data-date");
      r.classList.toggle("future", ed > d);
      r.classList.toggle("now", ed > prev && ed <= d);
    });
  }

  function forecastsTable() {
    var box = SL.clear(document.getElementById("forecasts-box"));
    var fc = page.forecasts;
    if (!fc.length) {
      box.appendChild(h("p", {class: "muted", text: SL.t("No forecast: too few observed days in this range.")}));
    } else {
      var rows = fc.map(function (f) {
        var bt = f.backtest || {}, what;
        if (f.shown && f.forecast) {
          var x = f.forecast;
          what = x.eta ? [h("b", {text: x.eta}), h("span", {class: "muted", text: " " +
            SL.t("(80 % range {lo} to {hi}; from {date})", {lo: (x.eta_range || [])[0] || "\u2014",
              hi: (x.eta_range || [])[1] || SL.t("beyond horizon"), date: x.date || ""})})]
            : [x.note || SL.t("no crossing forecast")];
          if (x.eta && f.calibrated_range) {
            what.push(h("br"), h("span", {class: "muted", text: SL.t(
              "calibrated on earlier errors: {lo} to {hi}",
              {lo: f.calibrated_range[0], hi: f.calibrated_range[1]})}));
          }
        } else {
          what = [h("span", {class: "withheld", text: SL.t("withheld")}), " ",
                  h("span", {class: "muted", text: f.withheld || SL.t("no backtest")})];
        }
        var p = bt.error_p10_p90_days;
        return h("tr", {class: f.shown ? "shown" : "withheld-row"}, [
          h("td", {text: f.quantity}), h("td", null, what),
          h("td", {class: "num", text: String(bt.scored || 0)}),
          h("td", {class: "num", text: SL.num(bt.median_abs_error_days) ? String(bt.median_abs_error_days) : "\u2014"}),
          h("td", {class: "num", text: p ? SL.t("{lo} to {hi}", {lo: fmt(p[0], 0), hi: fmt(p[1], 0)}) : "\u2014"}),
          h("td", {class: "num", text: SL.num(bt.coverage) ? Math.round(bt.coverage * 100) + " %" : "\u2014"}),
          h("td", {class: "num", text: String(bt.false_alarms || 0)}),
          h("td", {class: "num", text: String(bt.missed || 0)})]);
      });
      box.appendChild(h("div", {class: "scroll"}, h("table", {id: "forecasts"}, [
        h("thead", null, h("tr", null, [SL.t("Quantity"), SL.t("Forecast date"),
          SL.t("Scored cases"), SL.t("Median abs. error (days)"), SL.t("80 % error range (days)"),
          SL.t("Coverage of 80 % range"), SL.t("False alarms"), SL.t("Missed")].map(function (t) { return h("th", {text: t}); }))),
        h("tbody", null, rows)])));
    }
    var tr = page.trends || {}, parts = [];
    if (SL.num(tr.approach_km_per_day)) {
      var rg = tr.approach_range || [];
      parts.push(SL.t("held territory approaches the centre at {rate} km/day (80 %: {lo} to {hi})",
                      {rate: fmt(tr.approach_km_per_day, 3), lo: fmt(rg[0], 3),
                       hi: fmt(rg[1], 3)}));
    }
    if (SL.num(tr.area_km2_per_day)) {
      parts.push(SL.t("held area near the city changes by {rate} km\u00b2/day",
                      {rate: fmt(tr.area_km2_per_day, 2)}));
    }
    var tb = SL.clear(document.getElementById("trends-box"));
    if (parts.length) {
      tb.appendChild(h("p", {text: SL.t("Trend over the {days} days before {date}: {trends}.",
        {days: tr.window_days || 0, date: tr.date || "", trends: parts.join("; ")})}));
    }
  }

  function footer() {
    document.getElementById("attribution").textContent = page.attribution;
    document.getElementById("band-note").textContent = SL.t(page.band_note) + " " +
      SL.t("Routes use {network}.", {network: page.method.road_network || SL.t("main roads")});
  }
})();
