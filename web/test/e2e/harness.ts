/*
 * harness.ts — what the end-to-end tests need: the real `spyglass serve`
 * (binary from $SPYGLASS) on a free loopback port with a temporary data
 * directory, real profiles (a recording made here with `spyglass record`,
 * a pstats file written here by cProfile) uploaded through the API, and
 * Debian's chromium driven by playwright-core. Screenshots are kept in
 * test-artifacts/web/. Timeouts scale under SG_SANITIZED=1 like the
 * integration tests'.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, Browser, Page } from 'playwright-core';

export const ROOT = process.env.SG_ROOT ?? resolve(process.cwd(), '..');
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'web');
export const CHROMIUM = process.env.SG_CHROMIUM ?? '/usr/bin/chromium';
const SANITIZED = !['', '0', undefined].includes(process.env.SG_SANITIZED);
export const SCALE = SANITIZED ? 4 : 1;

/** Why the e2e tests cannot run, or null when they can. */
export function skipReason(): string | null {
  const bin = process.env.SPYGLASS;
  if (!bin) return 'SPYGLASS is not set (make test-web sets it to build/bin/spyglass)';
  const r = spawnSync(bin, ['serve', '--help'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return `cannot run ${bin}: ${r.error.message}`;
  if (r.status !== 0) return `${bin} has no working \`serve\` command yet (serve --help exited ${r.status}: ${(r.stderr || r.stdout).trim().split('\n')[0]})`;
  return null;
}

export function spyglass(): string {
  return process.env.SPYGLASS!;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

export interface Server {
  base: string;
  dataDir: string;
  proc: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

export async function startServer(): Promise<Server> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sg-web-e2e-'));
  const port = await freePort();
  const proc = spawn(spyglass(), ['serve', '--port', String(port), '--data', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000 * SCALE;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`spyglass serve exited ${proc.exitCode}: ${out}`);
    try {
      const r = await fetch(`${base}/api/health`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`spyglass serve did not answer /api/health within ${20 * SCALE} s: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    dataDir,
    proc,
    log: () => out,
    stop: async () => {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await new Promise<void>((res) => {
          const t = setTimeout(() => {
            proc.kill('SIGKILL');
            res();
          }, 5000 * SCALE);
          proc.once('exit', () => {
            clearTimeout(t);
            res();
          });
        });
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Records tests/targets/<script> with the real sampler; returns the .sgl path. */
export function recordProfile(dir: string, script: string, ...args: string[]): string {
  const out = join(dir, script.replace(/\W+/g, '_') + '.sgl');
  const r = spawnSync(spyglass(), ['record', '-o', out, '--', 'python3', join(ROOT, 'tests/targets', script), ...args], {
    encoding: 'utf8',
    timeout: 60_000 * SCALE,
  });
  if (r.status !== 0) throw new Error(`spyglass record failed (${r.status}): ${r.stderr}`);
  return out;
}

/** Writes a real cProfile pstats file of tests/targets/<script>. */
export function pstatsProfile(dir: string, script: string, ...args: string[]): string {
  const out = join(dir, script.replace(/\W+/g, '_') + '.prof');
  const r = spawnSync('python3', ['-m', 'cProfile', '-o', out, join(ROOT, 'tests/targets', script), ...args], {
    encoding: 'utf8',
    timeout: 60_000 * SCALE,
  });
  if (r.status !== 0) throw new Error(`cProfile failed (${r.status}): ${r.stderr}`);
  return out;
}

export interface Profile {
  id: string;
  name: string;
  has_stacks: boolean;
  [k: string]: unknown;
}

export async function upload(base: string, path: string, name: string, tags: string[] = []): Promise<Profile> {
  const body = readFileSync(path);
  const q = new URLSearchParams({ name });
  if (tags.length) q.set('tags', tags.join(','));
  const r = await fetch(`${base}/api/profiles?${q}`, { method: 'POST', body });
  const text = await r.text();
  if (r.status !== 201) throw new Error(`upload of ${path} answered ${r.status}: ${text}`);
  return JSON.parse(text) as Profile;
}

export async function getJson<T = any>(base: string, path: string): Promise<T> {
  const r = await fetch(base + path);
  const text = await r.text();
  if (!r.ok) throw new Error(`GET ${path} answered ${r.status}: ${text}`);
  return JSON.parse(text) as T;
}

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
}

export async function newPage(browser: Browser, errors: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.setDefaultTimeout(15_000 * SCALE);
  return page;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/**
 * Pixel statistics of the first canvas under `selector`: how many pixels
 * are not the white background, and how many distinct colours there are.
 */
export async function canvasStats(page: Page, selector: string): Promise<{ width: number; height: number; painted: number; colors: number }> {
  return page.$eval(selector, (host) => {
    const c = host.querySelector('canvas') as HTMLCanvasElement;
    const ctx = c.getContext('2d')!;
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let painted = 0;
    const colors = new Set<number>();
    for (let i = 0; i < d.length; i += 4) {
      if (d[i] < 250 || d[i + 1] < 250 || d[i + 2] < 250) painted++;
      if (i % 64 === 0) colors.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    }
    return { width: c.width, height: c.height, painted, colors: colors.size };
  });
}

/** Waits until the element's data-state is "ready" (or fails with its error text). */
export async function ready(page: Page, selector: string): Promise<void> {
  await page.waitForFunction(
    (sel) => {
      const el = document.querySelector(sel) as HTMLElement | null;
      if (!el) return false;
      if (el.dataset.state === 'error') throw new Error(document.querySelector('.msg.error')?.textContent ?? 'error');
      return el.dataset.state === 'ready';
    },
    selector,
  );
}

export function query(page: Page): URLSearchParams {
  return new URL(page.url()).searchParams;
}
