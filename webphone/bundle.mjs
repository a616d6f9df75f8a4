// bundle.mjs — turns JsSIP's CommonJS files (node_modules/, installed by `npm ci`) into one browser
// script that sets window.JsSIP. No bundler package: the few modules JsSIP needs (events, debug,
// sdp-transform) are wrapped as they are, honouring a package's "browser" field.
// Usage: node bundle.mjs OUT_FILE
import fs from 'node:fs';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const nodeModules = path.join(here, 'node_modules');
const modules = new Map();            // absolute file -> {id, deps: {request: id}}

function packageEntry(dir) {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const entry = typeof manifest.browser === 'string' ? manifest.browser : (manifest.main || 'index.js');
  return resolveFile(path.join(dir, entry));
}

function resolveFile(base) {
  for (const candidate of [base, `${base}.js`, `${base}.json`, path.join(base, 'index.js')]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  throw new Error(`cannot resolve ${base}`);
}

function resolve(request, fromFile) {
  if (request.startsWith('.')) return resolveFile(path.resolve(path.dirname(fromFile), request));
  const dir = path.join(nodeModules, request);
  if (!fs.existsSync(dir)) return null;          // node-only (tty, util): never reached in a browser
  return packageEntry(dir);
}

function add(file) {
  if (modules.has(file)) return modules.get(file).id;
  const record = { id: modules.size, deps: {}, source: fs.readFileSync(file, 'utf8') };
  modules.set(file, record);
  if (!file.endsWith('.json')) {
    for (const [, request] of record.source.matchAll(/require\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const target = resolve(request, file);
      if (target) record.deps[request] = add(target);
    }
  }
  return record.id;
}

const entry = add(packageEntry(path.join(nodeModules, 'jssip')));
const version = JSON.parse(fs.readFileSync(path.join(nodeModules, 'jssip', 'package.json'), 'utf8')).version;
const parts = [...modules.entries()].map(([file, m]) => {
  const body = file.endsWith('.json') ? `module.exports = ${m.source};` : m.source;
  return `[function (module, exports, require) {\n${body}\n}, ${JSON.stringify(m.deps)}]`;
});
const out = `/* JsSIP ${version} (MIT), bundled by webphone/bundle.mjs from node_modules/ */
(function () {
var process = { env: {} };
var defs = [${parts.join(',\n')}];
var cache = {};
function load(id) {
  if (cache[id]) return cache[id].exports;
  var module = cache[id] = { exports: {} };

  defs[id][0].call(module.exports, module, module.exports, function (request) {
    var dep = defs[id][1][request];
    if (dep === undefined) throw new Error('not bundled: ' + request);
    return load(dep);
  });
  return module.exports;
}
window.JsSIP = load(${entry});
})();
`;
fs.mkdirSync(path.dirname(process.argv[2]), { recursive: true });
fs.writeFileSync(process.argv[2], out);
console.log(`JsSIP ${version}: ${modules.size} modules -> ${process.argv[2]}`);
