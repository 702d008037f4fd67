import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { as2 } from '../../channels/as2/index.js';
import { http as httpSource } from '../../channels/http/index.js';
import { mllp } from '../../channels/mllp/index.js';
import type { Source } from '../../channels/types.js';
import { AdminServer } from '../../engine/admin/server.js';
import { engineSchema } from '../../engine/config/engine-schema.js';
import { silentLogger } from '../../lib/log.js';
import { RecordingContext } from './file/support.js';

const CERTS = fileURLToPath(new URL('../../config/certs/', import.meta.url));

/**
 * A listener is reachable from other machines only when its configuration says so: started from a
 * configuration that names no host, every listener (MLLP, HTTP, AS2) and the admin API is bound to
 * 127.0.0.1, not to every interface.
 */
describe('listeners bind 127.0.0.1 unless the configuration says otherwise', () => {
  const running: Source[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()));
  });

  const configs: Array<[string, () => Source]> = [
    ['mllp', () => mllp.create(mllp.schema.parse({ type: 'mllp', port: 0 }), new RecordingContext())],
    ['http', () => httpSource.create(httpSource.schema.parse({ type: 'http', port: 0 }), new RecordingContext())],
    [
      'as2',
      () =>
        as2.create(
          as2.schema.parse({
            type: 'as2',
            port: 0,
            as2Id: 'US',
            certificate: `${CERTS}hospital-as2.crt`,
            privateKey: `${CERTS}hospital-as2.key`,
            partners: [{ as2Id: 'THEM', certificate: `${CERTS}northwind-as2.crt` }],
          }),
          new RecordingContext(),
        ),
    ],
  ];
  for (const [type, create] of configs) {
    it(`${type}: bound to 127.0.0.1 when no host is given`, async () => {
      const source = create();
      await source.start();
      running.push(source);
      expect(source.address!()!.host).to.equal('127.0.0.1');
    });
  }

  it('admin API: engine.yaml admin without a host listens on 127.0.0.1', async () => {
    const admin = engineSchema.shape.admin.unwrap().parse({ port: 0 });
    const server = new AdminServer(
      {
        store: {} as never,
        channels: async () => [],
        reprocess: async () => ({ ok: false, detail: '' }),
        health: async () => ({ ok: true, checks: {} }),
        status: async () => ({}),
      },
      'bind-defaults-token-0123456789',
      silentLogger,
    );
    try {
      const bound = await server.listen(admin.port, admin.host);
      expect(bound.host).to.equal('127.0.0.1');
    } finally {
      await server.close();
    }
  });
});
