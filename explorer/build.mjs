// Builds the explorer into ../internal/explorer/dist, which the Go server
// embeds (internal/explorer): index.html and assets/ with content-hashed
// names (main-<hash>.js, main-<hash>.css, font-<hash>.woff2/.woff), plus the
// third-party licenses of everything bundled. Deterministic: the same
// lockfile gives the same bytes.
//
//   npm ci && npm run build
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'internal', 'explorer', 'dist');
const hash = (data) => createHash('sha256').update(data).digest('hex').slice(0, 12);
// Byte order, not the locale's: the same output everywhere.
const byName = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: ['src/main.jsx'],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  jsx: 'automatic',
  define: { 'process.env.NODE_ENV': '"production"' },
  legalComments: 'none',
  charset: 'utf8',
  outdir: 'out',
  entryNames: '[name]',
  write: false,
  metafile: true,
  logLevel: 'warning',
});

const files = new Map(); // path under dist -> contents
let js;
let css;
for (const f of result.outputFiles) {
  if (f.path.endsWith('.js')) js = f.contents;
  else if (f.path.endsWith('.css')) css = f.text;
  else throw new Error(`unexpected output ${f.path}`);
}
if (!js || !css) throw new Error('esbuild produced no JS or no CSS');

// GraphiQL's CSS carries its fonts (Roboto, Fira Code) as data: URLs, one
// per Unicode range (and WOFF fallbacks): put each in its own file, so the
// browser loads only the ranges and formats a page uses.
css = css.replace(/url\(\s*["']?data:font\/(woff2?);base64,([A-Za-z0-9+/=]+)["']?\s*\)/g, (_, ext, b64) => {
  const data = Buffer.from(b64, 'base64');
  const name = `font-${hash(data)}.${ext}`;
  files.set(`assets/${name}`, data);
  return `url(${name})`;
});

const jsName = `assets/main-${hash(js)}.js`;
const cssName = `assets/main-${hash(css)}.css`;
files.set(jsName, Buffer.from(js));
files.set(cssName, Buffer.from(css));

const html = readFileSync(join(here, 'src', 'index.html'), 'utf8')
  .replace('{{js}}', `explorer/${jsName}`)
  .replace('{{css}}', `explorer/${cssName}`);
files.set('index.html', Buffer.from(html));

// The licenses of the npm packages whose code is in the bundle.
const packages = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = /^(.*node_modules\/)((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (!m) continue;
  const dir = join(here, m[1], m[2]);
  if (!packages.has(dir)) packages.set(dir, m[2]);
}
const licenses = [];
for (const dir of [...packages.keys()].sort((a, b) => byName(packages.get(a) + '\0' + a, packages.get(b) + '\0' + b))) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const licenseFile = readdirSync(dir).sort().find((n) => /^(licen[cs]e|copying)(\.|$)/i.test(n));
  const text = licenseFile ? readFileSync(join(dir, licenseFile), 'utf8').trim() : `License: ${pkg.license || 'unknown'}`;
  licenses.push(`${pkg.name}@${pkg.version} (${relative(here, dir)})\n\n${text}\n`);
}
files.set(
  'third-party-licenses.txt',
  Buffer.from(
    'Third-party software bundled into the OpsGraph explorer (explorer/, built by `npm run build`).\n\n' +
      licenses.join('\n' + '-'.repeat(78) + '\n\n'),
  ),
);

rmSync(out, { recursive: true, force: true });
for (const [name, data] of [...files].sort(([a], [b]) => byName(a, b))) {
  const p = join(out, name);
  if (!existsSync(dirname(p))) mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, data);
}

const size = (n) => (files.get(n).length / 1024).toFixed(0) + ' KiB';
const fonts = [...files.keys()].filter((n) => /\.woff2?$/.test(n));
console.log(`explorer: ${relative(here, out)}/ ${jsName} ${size(jsName)}, ${cssName} ${size(cssName)}, ${fonts.length} fonts, ${packages.size} packages`);
