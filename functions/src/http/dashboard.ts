/**
 * GET /api/dashboard: the rollout dashboard, a browser app (dashboard/ in the repository, built
 * into dist/dashboard/www and shipped in the app's package) that reads and steers rollouts through
 * this API from the same origin.
 *
 * The data is behind the function key, the app is not: on Azure the dashboard is opened as
 * /api/dashboard?code=KEY, and the app keeps that key for the tab (and out of the address bar)
 * and sends it as x-functions-key with every API call. The page, its script and its style sheet
 * are the same for everyone and hold no data, so they are anonymous: a reload, which no longer
 * has the key in its URL, still loads, and without a key the app says to open it with one. The
 * Content-Security-Policy allows nothing but this origin, so even a hostile device id or error
 * message that reached the page could not load or send anything elsewhere.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { app } from '@azure/functions';
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { notFound } from './apiResponses';

/** dist/functions/src/http → dist/dashboard/www, where the dashboard's build puts what is served. */
const ASSET_DIR = resolve(__dirname, '../../../dashboard/www');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
}

let assets: Map<string, Asset> | null = null;

/** The built files, read once: the page, its script and its style sheet (source maps are not served). */
function loadAssets(): Map<string, Asset> {
  if (assets !== null) return assets;
  const found = new Map<string, Asset>();
  let names: string[] = [];
  try {
    names = readdirSync(ASSET_DIR);
  } catch {
    // Not built: every request answers 404 saying so.
  }
  for (const name of names) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (contentType === undefined) continue;
    const body = readFileSync(join(ASSET_DIR, name));
    found.set(name, { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  assets = found;
  return found;
}

function serve(request: HttpRequest, asset: Asset, body: Buffer, cacheControl: string): HttpResponseInit {
  const headers = { ...SECURITY_HEADERS, 'content-type': asset.contentType, 'cache-control': cacheControl, etag: asset.etag };
  if (request.headers.get('if-none-match') === asset.etag) return { status: 304, headers };
  return { status: 200, body: request.method === 'HEAD' ? undefined : body, headers };
}

const NOT_BUILT = 'The dashboard is not built into this package: run `npm run build` (or `npm run package`) first.';

/**
 * The page. Where its assets and the API are is filled in from the URL it was reached by, so it
 * works under any host name and route prefix, with or without a trailing slash.
 */
export async function dashboardPage(request: HttpRequest): Promise<HttpResponseInit> {
  const page = loadAssets().get('index.html');
  if (page === undefined) return notFound(NOT_BUILT);
  const base = new URL(request.url).pathname.replace(/\/+$/, '');
  const api = base.replace(/\/dashboard$/, '');
  const html = page.body.toString('utf8').replaceAll('%ASSETS%', escapeAttribute(base)).replaceAll('%API%', escapeAttribute(api));
  // The page is never cached: it is where a changed asset's new ETag is picked up.
  return serve(request, page, Buffer.from(html, 'utf8'), 'no-store');
}

export async function dashboardAsset(request: HttpRequest): Promise<HttpResponseInit> {
  const name = request.params.file ?? '';
  const asset = name === 'index.html' ? undefined : loadAssets().get(name);
  if (asset === undefined) return notFound(assets?.size === 0 ? NOT_BUILT : `The dashboard has no file ${JSON.stringify(name)}.`);
  // Revalidated on every load (ETag), so a redeployed app is never half old, half new.
  return serve(request, asset, asset.body, 'no-cache');
}

function escapeAttribute(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

app.http('dashboard', { route: 'dashboard', methods: ['GET', 'HEAD'], authLevel: 'anonymous', handler: dashboardPage });
app.http('dashboardAsset', { route: 'dashboard/{file}', methods: ['GET', 'HEAD'], authLevel: 'anonymous', handler: dashboardAsset });
