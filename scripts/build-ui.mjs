// Builds the admin UI into admin-ui/dist/:
//   index.html              (no-cache; references the hashed assets under /admin/assets/)
//   app.<hash>.js           (esbuild bundle of admin-ui/src/main.tsx, minified, es2020)
//   styles.<hash>.css       (admin-ui/src/styles.css, minified)
//   manifest.json           ({"app.js": "app.<hash>.js", "styles.css": "styles.<hash>.css"})
// Hashes are of the content, so assets can be served immutable. The dist folder is rebuilt from scratch
// (in a temporary folder, then swapped in), so running it twice gives the same result.
// Usage: node scripts/build-ui.mjs
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, transform } from 'esbuild';

const started = performance.now();
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'admin-ui', 'src');
const distDir = join(root, 'admin-ui', 'dist');
const tmpDir = join(root, 'admin-ui', `.dist-tmp-${process.pid}`);
const ASSET_BASE = '/admin/assets/';

const hash = (text) => createHash('sha256').update(text).digest('hex').slice(0, 12);

async function main() {
  const js = await build({
    entryPoints: [join(srcDir, 'main.tsx')],
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2020',
    platform: 'browser',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    define: { 'process.env.NODE_ENV': '"production"' },
    legalComments: 'none',
    charset: 'utf8',
    write: false,
    logLevel: 'silent',
    absWorkingDir: root,
  });
  const jsText = js.outputFiles[0].text;

  // uPlot's own stylesheet first (legend, cursor), then ours, in one hashed file (the CSP allows 'self' only).
  const uplotCss = await readFile(join(root, 'node_modules', 'uplot', 'dist', 'uPlot.min.css'), 'utf8');
  const css = await transform(`${uplotCss}\n${await readFile(join(srcDir, 'styles.css'), 'utf8')}`, {
    loader: 'css',
    minify: true,
    charset: 'utf8',
    target: ['chrome100', 'firefox100', 'safari15'],
  });

  const appName = `app.${hash(jsText)}.js`;
  const cssName = `styles.${hash(css.code)}.css`;
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="robots" content="noindex">
<title>OpenRouter pool · admin</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${ASSET_BASE}${cssName}">
<script defer src="${ASSET_BASE}${appName}"></script>
</head>
<body>
<div id="app"></div>
<noscript>The admin dashboard needs JavaScript.</noscript>
</body>
</html>
`;

  await rm(tmpDir, { recursive: true, force: true });
  await mkdir(tmpDir, { recursive: true });
  await Promise.all([
    writeFile(join(tmpDir, appName), jsText),
    writeFile(join(tmpDir, cssName), css.code),
    writeFile(join(tmpDir, 'index.html'), html),
    writeFile(join(tmpDir, 'manifest.json'), `${JSON.stringify({ 'app.js': appName, 'styles.css': cssName }, null, 2)}\n`),
  ]);
  await rm(distDir, { recursive: true, force: true });
  await rename(tmpDir, distDir);

  const kb = (s) => `${(Buffer.byteLength(s) / 1024).toFixed(1)} kB`;
  const ms = Math.round(performance.now() - started);
  console.log(`admin-ui: dist/${appName} (${kb(jsText)}), dist/${cssName} (${kb(css.code)}), dist/index.html in ${ms} ms`);
}

main().catch(async (err) => {
  await rm(tmpDir, { recursive: true, force: true }).catch(() => {});
  if (err && Array.isArray(err.errors) && err.errors.length) {
    for (const e of err.errors) {
      const loc = e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ` : '';
      console.error(`admin-ui build: ${loc}${e.text}`);
    }
  } else {
    console.error('admin-ui build failed:', err);
  }
  process.exit(1);
});
