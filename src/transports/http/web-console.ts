// Serves the built web console (web/dist) at `/`. The console is a single-page app: any GET for an
// unknown path outside the API answers index.html, so a deep link such as /devices/<id> survives a
// reload. API-like paths keep the JSON 404 so clients never receive HTML by mistake.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';

/** web/dist of the repository, seen from dist/src/transports/http/ (compiled) or src/transports/http/. */
export function defaultWebRoot(): string {
  const fromCompiled = fileURLToPath(new URL('../../../../web/dist', import.meta.url));
  if (existsSync(fromCompiled)) return fromCompiled;
  return fileURLToPath(new URL('../../../web/dist', import.meta.url));
}

// Paths owned by the server, never by the console.
const SERVER_PREFIXES = ['/api', '/health', '/ready', '/metrics', '/socket.io', '/mqtt'];

function isServerPath(url: string): boolean {
  const path = url.split('?')[0]!;
  return SERVER_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));
}

const NOT_BUILT_PAGE = `<!doctype html><meta charset="utf-8"><title>Vigil</title>
<p>The web console is not built. Run <code>npm run build</code> (or <code>npm start</code>), then reload.</p>
<p>The API is available: <a href="/api/docs">/api/docs</a>.</p>`;

export async function registerWebConsole(app: FastifyInstance, webRoot = defaultWebRoot()): Promise<void> {
  const indexPath = `${webRoot}/index.html`;
  const built = existsSync(indexPath);
  // Read once: index.html only changes with a rebuild, which restarts the server.
  const indexHtml = built ? readFileSync(indexPath, 'utf8') : NOT_BUILT_PAGE;

  if (built) {
    await app.register(fastifyStatic, {
      root: webRoot,
      prefix: '/',
      // Files are listed at start-up: no catch-all route, so unknown paths reach the not-found handler.
      wildcard: false,
      index: false,
      // swagger-ui registers its own copy; ours must not decorate the reply a second time.
      decorateReply: false,
      setHeaders: (reply, path) => {
        // Vite puts a content hash in every asset name: safe to cache forever.
        if (path.includes('/assets/')) reply.header('cache-control', 'public, max-age=31536000, immutable');
      },
    });
  }

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    if ((request.method === 'GET' || request.method === 'HEAD') && !isServerPath(request.url)) {
      return reply.status(200).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(indexHtml);
    }
    return reply.status(404).send({ error: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` });
  });
}
