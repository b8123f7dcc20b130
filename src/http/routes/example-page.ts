/**
 * The example web app of cookie mode (examples/web): GET / and GET /app.js, routed only when
 * AUTH_COOKIE=true and NODE_ENV is not production. Read once, then kept in memory.
 */
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Route } from '../dispatch';

/** From src/ (tsx, jest) and from dist/ (npm start) alike: the repository's examples/web. */
const EXAMPLE_DIR = join(__dirname, '..', '..', '..', 'examples', 'web');

const FILES = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
} as const;

export type ExamplePagePath = keyof typeof FILES;
export const EXAMPLE_PAGE_PATHS = Object.keys(FILES) as ExamplePagePath[];

/** The routes of the example page, by path. */
export function examplePageRoutes(): Record<ExamplePagePath, Route> {
  return Object.fromEntries(
    EXAMPLE_PAGE_PATHS.map((path): [string, Route] => [
      path,
      async (_req, res) => serveExamplePage(res, path),
    ]),
  ) as Record<ExamplePagePath, Route>;
}

const cache = new Map<ExamplePagePath, Promise<Buffer>>();

export async function serveExamplePage(res: ServerResponse, path: ExamplePagePath): Promise<void> {
  const { file, type } = FILES[path];
  let content = cache.get(path);
  if (!content) {
    content = readFile(join(EXAMPLE_DIR, file));
    cache.set(path, content);
    content.catch(() => cache.delete(path)); // a missing file is retried, not cached
  }
  const body = await content;
  res.writeHead(200, {
    'content-type': type,
    'cache-control': 'no-store',
    // Only its own script, and GraphQL on its own origin: no inline code, no third party.
    'content-security-policy':
      "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  });
  res.end(body);
}
