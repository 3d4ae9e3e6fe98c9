/* API documentation drawn from /openapi.json (no external script; text only). */
(function () {
  "use strict";
  var h = SL.h;
  SL.getJSON("/openapi.json").then(function (spec) {
    document.getElementById("api-title").textContent = spec.info.title + " " +
      spec.info.version + " API";
    var box = SL.clear(document.getElementById("endpoints"));
    Object.keys(spec.paths).sort().forEach(function (path) {
      var op = spec.paths[path].get;
      if (!op) { return; }
      var rows = (op.parameters || []).map(function (p) {
        var sc = p.schema || {};
        var type = sc.type || (sc.anyOf || []).map(function (x) { return x.type; })
          .filter(function (t) { return t && t !== "null"; }).join(" | ");
        return h("tr", null, [h("td", {class: "nowrap"}, h("code", {text: p.name})),
          h("td", {text: p.in}), h("td", {text: type + (p.required ? " (required)" : "")}),
          h("td", {text: sc.default !== undefined ? "default " + JSON.stringify(sc.default) : ""}),
          h("td", {text: p.description || sc.pattern || ""})]);
      });
      box.appendChild(h("section", null, [
        h("h2", null, [h("code", {text: "GET " + path})]),
        h("p", {text: op.summary || ""}),
        h("p", {class: "muted", text: op.description || ""}),
        rows.length ? h("div", {class: "scroll"}, h("table", {class: "compact"}, [
          h("thead", null, h("tr", null, ["Parameter", "In", "Type", "Default", "Description"]
            .map(function (t) { return h("th", {text: t}); }))),
          h("tbody", null, rows)])) : null]));
    });
  }).catch(function (e) {
    document.getElementById("endpoints").textContent = "Error: " + e.message;
  });
})();
