import { expect } from 'chai';
import { Redis } from 'ioredis';
import { ConfigError } from '../../lib/errors.js';
import { excerpt } from '../../routes/excerpt.js';
import { checkName, jobIdFor, routeQueueKey, toRedisOptions } from '../../routes/queue-names.js';
import { answersPing, getRedis, startRedisServer, uniquePrefix } from '../support/redis.js';

describe('routes/queue-names', () => {
  it('puts a route under <prefix>:<channel>:route, whatever the route is called', () => {
    expect(routeQueueKey('interlace', 'or-usage', 'erp')).to.deep.equal({ prefix: 'interlace:or-usage:route', name: 'erp' });
    const names = ['process', 'stage', 'route', 'wait', 'meta', 'events', 'erp'];
    for (const a of names)
      for (const b of names) {
        if (a === b) continue;
        const [x, y] = [routeQueueKey('interlace', 'or-usage', a), routeQueueKey('interlace', 'or-usage', b)];
        expect(`${x.prefix}:${x.name}:`.startsWith(`${y.prefix}:${y.name}:`), `${a} vs ${b}`).to.equal(false);
      }
  });

  it('refuses names that would make keys ambiguous', () => {
    for (const bad of ['', 'a:b', 'a b', 'x'.repeat(101), 'é', 'a\nb']) {
      expect(() => checkName('channel', bad), JSON.stringify(bad))
        .to.throw(ConfigError)
        .with.property('code', 'route-invalid-name');
    }
  });

  it('keeps plain delivery ids as job ids and escapes the others without collisions', () => {
    expect(jobIdFor('01HZX5-abc')).to.equal('01HZX5-abc');
    const ids = ['42', '%42', 'a:b', 'a%3Ab', '%a:b', 'a%b', '1', '%31', ':', '%3A', '%253A'];
    const jobIds = ids.map(jobIdFor);
    expect(new Set(jobIds).size).to.equal(ids.length);
    for (const j of jobIds) {
      expect(j).to.not.contain(':');
      expect(j).to.not.match(/^\d+$/);
    }
  });

  it('reads Redis URLs', () => {
    expect(toRedisOptions('redis://127.0.0.1:6380/2')).to.include({ host: '127.0.0.1', port: 6380, db: 2, maxRetriesPerRequest: null });
    expect(toRedisOptions('rediss://u:p%40ss@redis.example')).to.deep.include({
      host: 'redis.example',
      port: 6379,
      username: 'u',
      password: 'p@ss',
      tls: {},
    });
    expect(toRedisOptions({ host: 'h', port: 1 })).to.include({ host: 'h', maxRetriesPerRequest: null });
    for (const bad of ['nope', 'http://h:1', 'redis://h/db']) {
      expect(() => toRedisOptions(bad), bad)
        .to.throw(ConfigError)
        .with.property('code', 'route-invalid-redis-url');
    }
  });

  it('cuts an excerpt at 2 KiB on a character boundary', () => {
    expect(excerpt('short')).to.equal('short');
    const cut = excerpt('€'.repeat(1000));
    expect(Buffer.byteLength(cut)).to.equal(2046);
    expect(cut).to.match(/^€+$/);
  });
});

describe('test/support/redis', function () {
  this.timeout(20_000);

  it('falls back when REDIS_URL does not answer, and shares one Redis', async () => {
    const saved = process.env.REDIS_URL;
    process.env.REDIS_URL = 'redis://127.0.0.1:1';
    try {
      const a = await getRedis();
      const b = await getRedis();
      expect(a.url).to.equal(b.url);
      expect(a.url).to.not.equal('redis://127.0.0.1:1');
      expect(await answersPing(a.url)).to.equal(true);
      await a.stop();
      expect(await answersPing(b.url), 'still up for the other user').to.equal(true);
      await b.stop();
    } finally {
      if (saved === undefined) delete process.env.REDIS_URL;
      else process.env.REDIS_URL = saved;
    }
  });

  it('starts and stops a private redis-server', async () => {
    const r = await startRedisServer();
    const client = new Redis(r.url);
    const key = `${uniquePrefix()}:k`;
    await client.set(key, 'v');
    expect(await client.get(key)).to.equal('v');
    client.disconnect();
    await r.stop();
    expect(await answersPing(r.url)).to.equal(false);
  });

  it('gives different prefixes', () => {
    expect(uniquePrefix()).to.not.equal(uniquePrefix());
  });
});
