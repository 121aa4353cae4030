// Renders the OpenAPI 3 document of /api/v1/openapi.json as a reference
// page: operations by tag (parameters, request body, responses with schemas
// and examples), the error codes, and the shared schemas. Plain DOM, no
// dependencies; every text from the document goes in through textContent.
"use strict";

(function () {
  const METHODS = ["get", "post", "put", "patch", "delete"];
  let doc = null;

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null) continue;
      if (k === "text") e.textContent = v;
      else if (k === "class") e.className = v;
      else e.setAttribute(k, v);
    }
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      e.append(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return e;
  }

  // prose renders a description: ```fenced``` blocks become <pre>, `code`
  // spans <code> and **bold** <strong>; everything else stays text (no HTML
  // from the document).
  function prose(tag, cls, text) {
    const e = el(tag, { class: cls });
    const blocks = text.split(/```[^\n`]*\n?([\s\S]*?)```/);
    blocks.forEach((part, i) => {
      if (i % 2 === 1) e.append(el("pre", { text: part.replace(/\n$/, "") }));
      else inline(e, part);
    });
    return e;
  }

  function inline(e, text) {
    const re = /`([^`]+)`|\*\*([^*]+)\*\*/g;
    let last = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      if (m.index > last) e.append(document.createTextNode(text.slice(last, m.index)));
      e.append(m[1] !== undefined ? el("code", { text: m[1] }) : el("strong", { text: m[2] }));
      last = re.lastIndex;
    }
    if (last < text.length) e.append(document.createTextNode(text.slice(last)));
  }

  // resolve follows a local $ref ("#/components/schemas/Lottery").
  function resolve(obj) {
    let seen = 0;
    while (obj && obj.$ref && seen++ < 16) {
      const parts = obj.$ref.replace(/^#\//, "").split("/").map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
      let cur = doc;
      for (const p of parts) cur = cur ? cur[p] : undefined;
      if (!cur) return { description: "unresolved " + obj.$ref };
      obj = cur;
    }
    return obj || {};
  }

  function refName(obj) {
    return obj && obj.$ref ? obj.$ref.split("/").pop() : null;
  }

  function slug(s) {
    return s.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "");
  }

  function typeOf(s) {
    const name = refName(s);
    if (name) return name;
    s = s || {};
    if (s.type === "array") return typeOf(s.items) + "[]";
    let t = s.type || (s.properties ? "object" : s.oneOf ? "one of" : s.anyOf ? "any of" : s.allOf ? "all of" : "any");
    if (s.format) t += " (" + s.format + ")";
    if (s.nullable) t += " | null";
    return t;
  }

  function constraints(s) {
    const out = [];
    if (s.enum) out.push("one of " + s.enum.map((v) => JSON.stringify(v)).join(", "));
    for (const [k, label] of [["minimum", "≥"], ["maximum", "≤"], ["minLength", "min length"], ["maxLength", "max length"],
      ["minItems", "min items"], ["maxItems", "max items"], ["pattern", "pattern"], ["default", "default"]]) {
      if (s[k] !== undefined) out.push(label + " " + (typeof s[k] === "string" ? s[k] : JSON.stringify(s[k])));
    }
    if (s.readOnly) out.push("read-only");
    return out.join("; ");
  }

  // schemaView renders a schema as a nested property list; $refs become
  // collapsible (depth-limited, so recursive schemas terminate).
  function schemaView(s, depth) {
    depth = depth || 0;
    const name = refName(s);
    const r = resolve(s);
    if (name && depth > 0) {
      const d = el("details", {}, el("summary", {}, el("a", { href: "#schema-" + slug(name), text: name })));
      d.addEventListener("toggle", function once() {
        if (d.open && d.childNodes.length === 1) d.append(depth < 6 ? schemaView(r, depth + 1) : el("span", { text: "…" }));
      });
      return d;
    }
    const box = el("div");
    if (r.description && depth === 0 && !name) box.append(prose("p", "desc", r.description));
    for (const key of ["allOf", "oneOf", "anyOf"]) {
      if (r[key]) {
        const ul = el("ul", { class: "props" });
        r[key].forEach((sub) => ul.append(el("li", {}, el("span", { class: "constraint", text: key + ": " }), schemaView(sub, depth + 1))));
        box.append(ul);
      }
    }
    if (r.type === "array" && r.items) {
      box.append(el("div", {}, el("span", { class: "type", text: "array of " }), schemaView(r.items, depth + 1)));
      return box;
    }
    const props = r.properties || {};
    const required = new Set(r.required || []);
    if (Object.keys(props).length) {
      const ul = el("ul", { class: "props" });
      for (const [p, ps] of Object.entries(props)) {
        const rp = resolve(ps);
        const li = el("li", {},
          el("code", { text: p }), required.has(p) ? el("span", { class: "req", title: "required", text: " *" }) : null,
          " ", el("span", { class: "type", text: typeOf(ps) }),
          rp.description ? prose("span", "desc", " — " + rp.description) : null,
          constraints(rp) ? el("div", { class: "constraint", text: constraints(rp) }) : null);
        const nested = refName(ps) || (rp.type === "array" && (refName(rp.items) || resolve(rp.items).properties)) || rp.properties;
        if (nested && depth < 6) li.append(schemaView(refName(ps) ? ps : rp, depth + 1));
        ul.append(li);
      }
      box.append(ul);
    } else if (!r.allOf && !r.oneOf && !r.anyOf) {
      box.append(el("span", { class: "type", text: typeOf(r) }));
      if (constraints(r)) box.append(el("span", { class: "constraint", text: " " + constraints(r) }));
    }
    if (r.additionalProperties === false && depth === 0) box.append(el("div", { class: "constraint", text: "Unknown fields are rejected (400 invalid_argument)." }));
    return box;
  }

  // sample builds an example value from a schema when the document has none.
  function sample(s, depth) {
    depth = depth || 0;
    const r = resolve(s);
    if (r.example !== undefined) return r.example;
    if (depth > 5) return null;
    if (r.enum) return r.enum[0];
    if (r.allOf) return Object.assign({}, ...r.allOf.map((x) => sample(x, depth + 1)));
    if (r.oneOf || r.anyOf) return sample((r.oneOf || r.anyOf)[0], depth + 1);
    switch (r.type) {
      case "object": {
        const o = {};
        for (const [k, v] of Object.entries(r.properties || {})) o[k] = sample(v, depth + 1);
        return o;
      }
      case "array": return [sample(r.items, depth + 1)];
      case "integer": return r.minimum !== undefined ? r.minimum : 0;
      case "number": return 0;
      case "boolean": return false;
      case "string": return r.format === "date-time" ? "2026-01-01T00:00:00Z" : "string";
    }
    return r.properties ? sample(Object.assign({ type: "object" }, r), depth) : null;
  }

  function example(media) {
    if (media.example !== undefined) return media.example;
    if (media.examples) {
      const first = Object.values(media.examples)[0];
      if (first) return resolve(first).value;
    }
    return media.schema ? sample(media.schema) : undefined;
  }

  function exampleBlock(media, contentType) {
    const ex = example(media);
    if (ex === undefined) return null;
    const text = typeof ex === "string" && !/json/.test(contentType) ? ex : JSON.stringify(ex, null, 2);
    return el("pre", { text: text });
  }

  function contentView(content) {
    const box = el("div");
    for (const [ct, media] of Object.entries(content || {})) {
      box.append(el("div", { class: "constraint", text: ct }));
      if (media.schema) box.append(schemaView(media.schema));
      const ex = exampleBlock(media, ct);
      if (ex) box.append(el("details", {}, el("summary", { text: "Example" }), ex));
    }
    return box;
  }

  function paramsView(params) {
    const t = el("table", {}, el("tr", {}, el("th", { text: "name" }), el("th", { text: "in" }), el("th", { text: "type" }), el("th", { text: "description" })));
    for (const p0 of params) {
      const p = resolve(p0);
      const s = resolve(p.schema);
      t.append(el("tr", {},
        el("td", {}, el("code", { text: p.name }), p.required ? el("span", { class: "req", text: " *" }) : null),
        el("td", { text: p.in }),
        el("td", {}, el("span", { class: "type", text: typeOf(p.schema || {}) }), constraints(s) ? el("div", { class: "constraint", text: constraints(s) }) : null),
        prose("td", "desc", p.description || "")));
    }
    return t;
  }

  function responsesView(responses) {
    const t = el("table", {}, el("tr", {}, el("th", { text: "status" }), el("th", { text: "meaning" })));
    for (const [status, r0] of Object.entries(responses || {})) {
      const r = resolve(r0);
      const cell = el("td", {}, el("div", { text: r.description || "" }));
      for (const [h, hv] of Object.entries(r.headers || {})) {
        const hr = resolve(hv);
        cell.append(el("div", { class: "constraint", text: "header " + h + ": " + typeOf(hr.schema || {}) + (hr.description ? " — " + hr.description : "") }));
      }
      if (r.content && !refName(r0)) cell.append(contentView(r.content));
      else if (r.content) cell.append(el("a", { href: "#errors", class: "constraint", text: "error body" }));
      t.append(el("tr", {}, el("td", { class: "status s" + status[0], text: status }), cell));
    }
    return t;
  }

  function authText(op, path) {
    const sec = op.security !== undefined ? op.security : doc.security;
    if (!sec || sec.length === 0 || sec.every((s) => Object.keys(s).length === 0)) return "public";
    return path.startsWith("/api/v1/admin") ? "admin token" : "bearer token (a user's session; admin endpoints take the admin token)";
  }

  function opView(path, method, op, pathParams) {
    const id = "op-" + slug(method + " " + path);
    const a = el("article", { class: "op", id: id, "data-search": [method, path, op.summary, op.description, (op.tags || []).join(" "), op.operationId].join(" ").toLowerCase() });
    a.append(el("h3", {}, el("span", { class: "method " + method, text: method.toUpperCase() }), path));
    if (op.summary) a.append(el("p", { class: "summary", text: op.summary }));
    if (op.description) a.append(prose("p", "desc", op.description));
    a.append(el("div", { class: "auth", text: "Auth: " + authText(op, path) + (op.deprecated ? " · deprecated" : "") }));
    const params = [...(pathParams || []), ...(op.parameters || [])];
    if (params.length) a.append(el("h4", { text: "Parameters" }), paramsView(params));
    if (op.requestBody) {
      const rb = resolve(op.requestBody);
      a.append(el("h4", { text: "Request body" + (rb.required ? "" : " (optional)") }));
      if (rb.description) a.append(prose("p", "desc", rb.description));
      a.append(contentView(rb.content));
    }
    a.append(el("h4", { text: "Responses" }), responsesView(op.responses));
    return a;
  }

  function errorsView() {
    const sec = el("section", { class: "tag", id: "errors" }, el("h2", { text: "Errors" }));
    sec.append(el("p", { class: "desc", text: "Every error is {\"error\":{\"code\",\"message\",\"details\"?}} with one of these codes:" }));
    const errSchema = resolve({ $ref: "#/components/schemas/Error" });
    const codes = (((errSchema.properties || {}).error || {}).properties || {}).code;
    const byCode = {};
    for (const [name, r0] of Object.entries((doc.components || {}).responses || {})) {
      const r = resolve(r0);
      const m = /^([a-z_]+)/.exec(r.description || "");
      byCode[name] = r.description || "";
      if (m) byCode[m[1]] = r.description;
    }
    const t = el("table", {}, el("tr", {}, el("th", { text: "code" }), el("th", { text: "meaning" })));
    for (const code of (codes && resolve(codes).enum) || []) {
      t.append(el("tr", {}, el("td", {}, el("code", { text: code })), prose("td", "desc", byCode[code] || "")));
    }
    sec.append(t, el("h4", { text: "Error body" }), schemaView({ $ref: "#/components/schemas/Error" }, 1));
    return sec;
  }

  function schemasView() {
    const sec = el("section", { class: "tag", id: "schemas" }, el("h2", { text: "Schemas" }));
    const schemas = (doc.components || {}).schemas || {};
    for (const name of Object.keys(schemas).sort()) {
      const a = el("article", { class: "op", id: "schema-" + slug(name), "data-search": ("schema " + name).toLowerCase() });
      a.append(el("h3", { text: name }), schemaView(schemas[name]));
      const ex = schemas[name].example;
      if (ex !== undefined) a.append(el("details", {}, el("summary", { text: "Example" }), el("pre", { text: JSON.stringify(ex, null, 2) })));
      sec.append(a);
    }
    return sec;
  }

  function render() {
    const main = document.getElementById("doc");
    const nav = document.getElementById("nav");
    main.textContent = "";
    const info = doc.info || {};
    document.getElementById("title").textContent = (info.title || "API") + " reference";
    document.getElementById("version").textContent = "version " + (info.version || "?") + " · OpenAPI " + (doc.openapi || "?");
    if (info.description) main.append(prose("p", "desc", info.description));

    // Group operations by their first tag, in the document's tag order.
    const groups = new Map();
    for (const t of doc.tags || []) groups.set(t.name, { desc: t.description, ops: [] });
    for (const [path, item] of Object.entries(doc.paths || {})) {
      for (const m of METHODS) {
        const op = item[m];
        if (!op) continue;
        const tag = (op.tags && op.tags[0]) || "other";
        if (!groups.has(tag)) groups.set(tag, { ops: [] });
        groups.get(tag).ops.push([path, m, op, item.parameters]);
      }
    }
    let count = 0;
    for (const [tag, g] of groups) {
      if (!g.ops.length) continue;
      const sec = el("section", { class: "tag", id: "tag-" + slug(tag) }, el("h2", { text: tag }));
      if (g.desc) sec.append(prose("p", "desc", g.desc));
      nav.append(el("h3", {}, el("a", { href: "#tag-" + slug(tag), text: tag })));
      for (const [path, m, op, pp] of g.ops) {
        const a = opView(path, m, op, pp);
        sec.append(a);
        nav.append(el("a", { href: "#" + a.id, "data-for": a.id }, el("span", { class: "method " + m, text: m.toUpperCase() }), path));
        count++;
      }
      main.append(sec);
    }
    main.append(errorsView(), schemasView());
    nav.append(el("h3", {}, el("a", { href: "#errors", text: "errors" })), el("h3", {}, el("a", { href: "#schemas", text: "schemas" })));
    document.body.setAttribute("data-operations", String(count));
    if (location.hash) {
      const target = document.getElementById(location.hash.slice(1));
      if (target) target.scrollIntoView();
    }
  }

  function applyFilter(q) {
    q = q.trim().toLowerCase();
    for (const a of document.querySelectorAll("article[data-search]")) {
      const hit = !q || a.getAttribute("data-search").includes(q);
      a.classList.toggle("hidden", !hit);
      const link = document.querySelector('nav a[data-for="' + a.id + '"]');
      if (link) link.classList.toggle("hidden", !hit);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.getElementById("filter").addEventListener("input", (e) => applyFilter(e.target.value));
    fetch("/api/v1/openapi.json")
      .then((r) => {
        if (!r.ok) throw new Error("GET /api/v1/openapi.json: " + r.status);
        return r.json();
      })
      .then((d) => {
        doc = d;
        render();
      })
      .catch((err) => {
        document.getElementById("doc").replaceChildren(el("p", { id: "status", text: "Could not load the document: " + err.message }));
      });
  });
})();
