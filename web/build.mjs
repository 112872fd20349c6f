// build.mjs — bundles the viewer (src/main.ts) into dist/: index.html,
// app.js, app.css. Asset paths are absolute (/app.js) because pages live at
// /p/{id} and /v/{id}. `node build.mjs --tests OUTDIR` instead bundles each
// test file under test/ (unit and e2e) for node's test runner, since node 20
// cannot run TypeScript itself; packages stay external (resolved from
// web/node_modules, so OUTDIR must lie under web/).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);

async function buildApp() {
  const dist = join(here, 'dist');
  mkdirSync(dist, { recursive: true });
  await build({
    entryPoints: { app: join(here, 'src/main.ts'), layout: join(here, 'src/workers/layout.ts') },
    bundle: true,
    minify: true,
    sourcemap: false,
    format: 'esm',
    target: ['es2022'],
    outdir: dist,
    logLevel: 'warning',
    legalComments: 'none',
  });
  copyFileSync(join(here, 'src/index.html'), join(dist, 'index.html'));
  copyFileSync(join(here, 'src/app.css'), join(dist, 'app.css'));
}

async function buildTests(outdir) {
  const entries = [];
  for (const sub of ['unit', 'e2e']) {
    const dir = join(here, 'test', sub);
    for (const f of readdirSync(dir)) {
      if (f.endsWith('.test.ts')) entries.push(join(dir, f));
    }
  }
  await build({
    entryPoints: entries,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: ['node20'],
    packages: 'external',
    outdir,
    outbase: join(here, 'test'),
    outExtension: { '.js': '.mjs' },
    logLevel: 'warning',
  });
}

if (args[0] === '--tests') await buildTests(args[1]);
else await buildApp();
