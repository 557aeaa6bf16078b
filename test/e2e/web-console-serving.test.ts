import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { defaultWebRoot } from '../../src/transports/http/web-console.js';
import { request, startVigil, type Running } from '../helpers/harness.js';

describe('web console serving', () => {
  let vigil: Running;
  before(async () => {
    vigil = await startVigil();
  });
  after(async () => vigil.stop());

  test('the console is built by `npm run build`', () => {
    assert.ok(existsSync(`${defaultWebRoot()}/index.html`), `missing ${defaultWebRoot()}/index.html: run npm run build`);
  });

  test('/ and any deep link answer the console, so a reload on /devices/<id> works', async () => {
    for (const path of ['/', '/devices/some-id?from=1&to=2', '/alarms']) {
      const res = await request(vigil.http, 'GET', path);
      assert.equal(res.status, 200, path);
      assert.match(String(res.headers.get('content-type')), /text\/html/);
      assert.match(String(res.body), /<div id="root">/);
    }
  });

  test('hashed assets are served with a long cache lifetime', async () => {
    const html = String((await request(vigil.http, 'GET', '/')).body);
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script, 'index.html references a script');
    const res = await request(vigil.http, 'GET', script);
    assert.equal(res.status, 200);
    assert.match(String(res.headers.get('cache-control')), /immutable/);
  });

  test('server paths keep their JSON 404 and are never answered with the console', async () => {
    for (const path of ['/api/v1/nope', '/api', '/metrics/x', '/mqtt']) {
      const res = await request(vigil.http, 'GET', path);
      assert.equal(res.status, 404, path);
      assert.equal(res.body.error, 'NOT_FOUND', path);
    }
    // Socket.IO answers its own path before the HTTP routes see it.
    const socketIo = await request(vigil.http, 'GET', '/socket.io/nope');
    assert.equal(socketIo.status, 400);
    assert.doesNotMatch(String(socketIo.headers.get('content-type')), /html/);
    const post = await request(vigil.http, 'POST', '/devices/x', { body: {} });
    assert.equal(post.status, 404, 'only GET falls back to the console');
    assert.equal((await request(vigil.http, 'GET', '/health')).status, 200);
  });
});
