/* The front-wide board: every near-front city on a date, a front map, what changed.
 * Data from /api/board and /api/territory; every data-derived string is set as text. */
(function () {
  "use strict";
  var h = SL.h, fmt = SL.fmt;
  var C = SL.config(), P = C.palette;
  var state = {sort: "distance", dir: 1, onlyNear: true, colourBy: "road"};
  var data = null, map = null, mapReady = null, labels = [], seq = 0;

  var COLUMNS = [
    {key: "city", label: SL.t("City"), sort: function (r) { return SL.placeName(r.city); }, cell: cityCell},
    {key: "distance", label: SL.t("Distance km"), num: true,
     sort: function (r) { return r.centre_held ? 0 : r.distance_to_front_km; },
     cell: function (r) {
       return [r.centre_held ? SL.t("centre held") : fmt(r.distance_to_front_km, 1),
               SL.sparkline(r.spark.distance, {min: 0, colour: "#b71c1c"})];
     }},
    {key: "change_7d", label: SL.t("7 d"), num: true, sort: function (r) { return r.change_7d_km; },
     cell: function (r) { return SL.signed(r.change_7d_km); }},
    {key: "change_30d", label: SL.t("30 d"), num: true, sort: function (r) { return r.change_30d_km; },
     cell: function (r) { return SL.signed(r.change_30d_km); }},
    {key: "road", label: SL.t("Road"), sort: function (r) { return severity(r.road.worst); },
     cell: function (r) { return statusCell(r.road, r.spark.road); }},
    {key: "rail", label: SL.t("Rail"), sort: function (r) { return severity(r.rail.worst); },
     cell: function (r) { return statusCell(r.rail, r.spark.rail); }},
    {key: "corridor", label: SL.t("Corridor km"), num: true,
     sort: function (r) { return r.corridor_width_km; },
     cell: function (r) {
       return [fmt(r.corridor_width_km, 1), SL.sparkline(r.spark.corridor, {min: 0,
               colour: "#00796b"})];
     }},
    {key: "ring", label: SL.t("Ring held"), num: true,
     sort: function (r) { return r.ring_held_share[r.spark.ring_km]; },
     cell: function (r) {
       return [SL.pct(r.ring_held_share[r.spark.ring_km]),
               SL.sparkline(r.spark.ring, {min: 0, max: 1, colour: P.held_fill})];
     }}
  ];

  function severity(status) { return data ? data.severity.indexOf(status) : -1; }

  function sevColour(i) {
    return i === null || i === undefined || i < 0 ? P.missing : P.bands[i].colour;
  }

  function cityUrl(r) {
    return SL.keepLang("/city/" + encodeURIComponent(r.city.id) + "?date=" + data.date);
  }

  function cityCell(r) {
    return [h("a", {href: cityUrl(r), text: SL.placeName(r.city)}), h("br"),
            h("span", {class: "muted", text: (r.city.oblast ? SL.oblastName(r.city.oblast) : "") +
              (r.data_date && r.data_date !== data.date ?
                " \u00b7 " + SL.t("data of {day}", {day: r.data_date}) : "")})];
  }

  function statusCell(m, spark) {
    var wrap = h("span", {class: "status-cell"}, [SL.swatch(sevColour(severity(m.worst))),
      SL.statusText(m.worst),
      m.status && m.status !== m.worst ? " (" + SL.statusText(m.status) + ")" : ""]);
    return [wrap, h("br"), SL.statusSpark((spark || []).map(sevColour))];
  }

  /* ------------------------------------------------------------ loading */
  function initialDate() {
    var m = /[?&]date=(\d{4}-\d{2}-\d{2})/.exec(location.search);
    return m ? m[1] : C.date;
  }

  function load(date) {
    var my = ++seq;
    status(date ? SL.t("Loading {date}\u2026", {date: date}) : SL.t("Loading the last day\u2026"));
    return SL.getJSON(C.api + "/board" + (date ? "?date=" + date : "")).then(function (d) {
      if (my !== seq) { return; }
      data = d;
      render();
      status("");
      return drawMap().then(function () {
        if (my === seq) { document.body.setAttribute("data-ready", "1"); }
      });
    }).catch(function (e) {
      status(SL.t("Error: {message}", {message: e.message}), true);
      document.body.setAttribute("data-error", "1");
    });
  }

  function status(text, error) {
    var el = document.getElementById("status-line");
    el.textContent = text;
    el.className = error ? "error" : "muted";
  }

  /* ------------------------------------------------------------ table */
  function visible() {
    return data.cities.filter(function (r) { return !state.onlyNear || r.near_front; });
  }

  function render() {
    var inp = document.getElementById("board-date");
    inp.min = data.first; inp.max = data.last; inp.value = data.date;
    document.getElementById("board-title").textContent =
      SL.t("Near-front cities on {date}: supply lines and held territory", {date: data.date});
    var rows = visible();
    document.getElementById("board-sub").textContent = SL.t(
      "{shown} of {total} cities of the sweep (places of \u2265 {population} people within {km} km of held territory on some day; tables {first} to {last})",
      {shown: rows.length, total: data.cities.length,
       population: data.min_population.toLocaleString("en"), km: data.within_km,
       first: data.first, last: data.last});
    var url = SL.keepLang("/?date=" + data.date);
    document.getElementById("permalink").setAttribute("href", url);
    if (history.replaceState) { history.replaceState(null, "", url); }
    table(rows);
    changes();
  }

  function table(rows) {
    var col = COLUMNS.filter(function (c) { return c.key === state.sort; })[0] || COLUMNS[1];
    rows = rows.slice().sort(function (a, b) {
      var x = col.sort(a), y = col.sort(b);
      var nx = x === null || x === undefined || x === -1 || x !== x;
      var ny = y === null || y === undefined || y === -1 || y !== y;
      if (nx || ny) { return nx === ny ? 0 : nx ? 1 : -1; }
      return (x < y ? -1 : x > y ? 1 : 0) * state.dir;
    });
    var head = SL.clear(document.querySelector("#board thead tr"));
    COLUMNS.forEach(function (c) {
      var label = c.key === "ring" && data.cities[0] ?
        SL.t("Ring {km} km held", {km: data.cities[0].spark.ring_km}) : c.label;
      var th = h("th", {class: c.num ? "num" : null, scope: "col", tabindex: 0,
                        "aria-sort": c.key === state.sort ? (state.dir > 0 ? "ascending" :
                                                              "descending") : null,
                        "data-key": c.key, text: label});
      var go = function () {
        state.dir = state.sort === c.key ? -state.dir : 1;
        state.sort = c.key;
        table(visible());
      };
      th.addEventListener("click", go);
      th.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { go(); } });
      head.appendChild(th);
    });
    var body = SL.clear(document.querySelector("#board tbody"));
    rows.forEach(function (r) {
      body.appendChild(h("tr", {class: r.near_front ? null : "far", "data-city": r.city.id},
        COLUMNS.map(function (c) {
          return h("td", {class: c.key === "city" ? "city" : c.num ? "num" : null}, c.cell(r));
        })));
    });
  }

  function changes() {
    document.getElementById("changes-range").textContent = SL.t(
      "{first} to {last}: {n} event(s) across the front",
      {first: data.changes_from, last: data.date, n: data.changes.length});
    var ul = SL.clear(document.getElementById("changes-list"));
    var ids = {};
    data.cities.forEach(function (r) { ids[r.city.id] = r; });
    data.changes.forEach(function (e) {
      var r = ids[e.city_id];
      ul.appendChild(h("li", null, [h("span", {class: "nowrap muted", text: e.date + " "}),
        r ? h("a", {href: SL.keepLang("/city/" + encodeURIComponent(e.city_id) + "?date=" +
                                      e.date),
                    text: SL.placeName(r.city)}) : e.city,
        ": " + SL.eventKind(e.kind) + " \u2014 " + e.subject + " (" + e.detail + ")"]));
    });
    if (!data.changes.length) {
      ul.appendChild(h("li", {class: "muted", text: SL.t("No event in these seven days.")}));
    }
  }

  /* ------------------------------------------------------------ map */
  function setupMap() {
    map = new maplibregl.Map({container: "front-map", style: SL.mapStyle(P),
                              bounds: C.bounds, attributionControl: false, dragRotate: false,
                              pitchWithRotate: false, fadeDuration: 0, maxZoom: 13});
    window.supplylineMap = map;  // for scripted checks (tests, the console)
    map.touchZoomRotate.disableRotation();
    map.addControl(new maplibregl.NavigationControl({showCompass: false}), "top-right");
    map.addControl(new maplibregl.ScaleControl({unit: "metric"}), "bottom-left");
    SL.attribution(map, C.attribution);
    mapReady = new Promise(function (resolve) {
      map.on("load", function () {
        map.addSource("held", {type: "geojson", data: SL.fc()});
        map.addSource("cities", {type: "geojson", data: SL.fc()});
        map.addLayer({id: "held", type: "fill", source: "held",
                      paint: {"fill-color": P.held_fill, "fill-opacity": P.held_alpha}});
        map.addLayer({id: "held-line", type: "line", source: "held",
                      paint: {"line-color": P.held_edge, "line-width": 0.8}});
        map.addLayer({id: "cities", type: "circle", source: "cities",
                      paint: {"circle-radius": ["get", "r"], "circle-color": ["get", "colour"],
                              "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.5,
                              "circle-opacity": ["case", ["get", "near"], 1, 0.45]}});
        map.on("click", "cities", function (ev) {
          var p = ev.features[0].properties, r = data.cities.filter(function (x) {
            return x.city.id === p.id; })[0];
          if (!r) { return; }
          var body = h("div", {class: "popup"}, [
            h("div", {class: "popup-title"}, h("a", {href: cityUrl(r), text: SL.placeName(r.city)})),
            h("div", {text: r.centre_held ? SL.t("centre held") :
                      SL.t("{km} km from the front", {km: fmt(r.distance_to_front_km, 1)})}),
            h("div", {text: SL.t("road: {road} \u00b7 rail: {rail}",
                                 {road: SL.statusText(r.road.worst),
                                  rail: SL.statusText(r.rail.worst)})}),
            h("div", {text: SL.t("corridor: {km} km", {km: fmt(r.corridor_width_km, 1)})})]);
          new maplibregl.Popup().setLngLat(ev.lngLat).setDOMContent(body).addTo(map);
        });
        map.on("mouseenter", "cities", function () { map.getCanvas().style.cursor = "pointer"; });
        map.on("mouseleave", "cities", function () { map.getCanvas().style.cursor = ""; });
        resolve();
      });
    });
  }

  function drawMap() {
    var d = data.date;
    var terr = SL.getJSON(C.api + "/territory?date=" + d + "&bbox=" + C.bbox.join(",") +
                          "&simplify_m=300");
    return Promise.all([mapReady, terr]).then(function (res) {
      if (data.date !== d) { return; }
      var t = res[1];
      map.getSource("held").setData(SL.fc(t.features.filter(function (f) {
        return f.properties.kind === "held" && f.geometry; })));
      var feats = data.cities.filter(function (r) { return SL.num(r.city.lon); })
        .map(function (r) {
          var m = state.colourBy === "rail" ? r.rail : r.road;
          return SL.feature({type: "Point", coordinates: [r.city.lon, r.city.lat]},
            {id: r.city.id, near: r.near_front, colour: sevColour(severity(m.worst)),
             r: 4 + Math.min(8, Math.sqrt(r.city.population / 20000) * 2)});
        });
      map.getSource("cities").setData(SL.fc(feats));
      labels.forEach(function (mk) { mk.remove(); });
      labels = data.cities.filter(function (r) { return r.near_front && SL.num(r.city.lon); })
        .sort(function (a, b) { return b.city.population - a.city.population; }).slice(0, 14)
        .map(function (r) { return SL.label(map, [r.city.lon, r.city.lat], SL.placeName(r.city), "small"); });
    });
  }

  /* ------------------------------------------------------------ controls */
  function shift(days) {
    if (!data) { return; }
    var n = SL.dayNum(data.date) + days;
    n = Math.max(SL.dayNum(data.first), Math.min(SL.dayNum(data.last), n));
    load(SL.dateOf(n));
  }

  document.getElementById("board-date").addEventListener("change", function (ev) {
    if (/^\d{4}-\d{2}-\d{2}$/.test(ev.target.value)) { load(ev.target.value); }
  });
  document.getElementById("prev-week").addEventListener("click", function () { shift(-7); });
  document.getElementById("next-week").addEventListener("click", function () { shift(7); });
  document.getElementById("only-near").addEventListener("change", function (ev) {
    state.onlyNear = ev.target.checked;
    if (data) { render(); }
  });
  document.getElementById("colour-by").addEventListener("change", function (ev) {
    state.colourBy = ev.target.value;
    if (data) { drawMap(); }
  });
  document.getElementById("band-note").textContent = SL.t(C.band_note);
  setupMap();
  load(initialDate());
})();
