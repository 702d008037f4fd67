import { expect } from 'chai';
import { compilePipeline } from '../../transforms/index.js';
import { stepSchema } from '../../transforms/schema.js';
import { startHttpSink, type HttpSink } from '../support/http-sink.js';
import { dftState, rejection, TABLES } from './support.js';

/**
 * The enrich step against a real local HTTP server: answers per item, the TTL cache, the timeout,
 * retries of passing failures, refusals, and the declared fallback. A failure never becomes a value.
 */
describe('transforms: enrich', function () {
  this.timeout(30_000);
  let erp: HttpSink;
  const onHand = new Map<string, number>();

  before(async () => {
    erp = await startHttpSink();
    erp.route((req) => {
      const item = new URL(req.path, 'http://x').searchParams.get('item') ?? '';
      return onHand.has(item) ? { status: 200, body: JSON.stringify({ onHand: onHand.get(item) }) } : undefined;
    });
  });
  beforeEach(() => {
    erp.requests.length = 0;
    onHand.clear();
    erp.setDefault({ status: 404, body: '{}' });
  });
  after(() => erp.close());

  const pipeline = (enrich: Record<string, unknown>) => {
    const step = stepSchema.parse({
      enrich: {
        url: `${erp.url}/inventory/on-hand?item={{ itemNumber }}&location=MAIN OR`,
        forEach: "$doc('supply-usage').lines",
        select: 'onHand',
        into: 'onHand',
        timeout: '300ms',
        retry: { attempts: 3, delay: '20ms', maxDelay: '50ms' },
        rule: 'on-hand-unavailable',
        ...enrich,
      },
    });
    return compilePipeline([step as never], { tables: TABLES });
  };
  const run = async (p: ReturnType<typeof pipeline>) => {
    const r = await p.run(dftState());
    if (r.outcome !== 'passed') throw new Error(`expected passed, got ${r.outcome}`);
    return r.state.vars.onHand;
  };

  it('calls once per item with the placeholders URL-encoded and keeps the selected values aligned with the items', async () => {
    onHand.set('IM-1001', 7).set('IM-2002', 0);
    expect(await run(pipeline({}))).to.deep.equal([7, 0]);
    expect(erp.requests.map((r) => r.path)).to.deep.equal([
      '/inventory/on-hand?item=IM-1001&location=MAIN%20OR',
      '/inventory/on-hand?item=IM-2002&location=MAIN%20OR',
    ]);
  });

  it('reuses an answer for the same URL within its TTL, and asks again once it has expired; cache 0s never reuses', async () => {
    onHand.set('IM-1001', 7).set('IM-2002', 3);
    const cached = pipeline({ cache: '400ms' });
    await run(cached);
    onHand.set('IM-1001', 1);
    expect(await run(cached)).to.deep.equal([7, 3]);
    expect(erp.requests).to.have.length(2);
    await new Promise((r) => setTimeout(r, 600));
    expect(await run(cached)).to.deep.equal([1, 3]);
    expect(erp.requests).to.have.length(4);
    const uncached = pipeline({});
    await run(uncached);
    await run(uncached);
    expect(erp.requests).to.have.length(8);
  });

  it('retries a call that timed out or got a 5xx, with backoff, and uses the answer that finally comes', async () => {
    onHand.set('IM-2002', 5);
    erp.respond({ hang: true }, { status: 503, body: '{}' }, { status: 200, body: '{"onHand": 12}' });
    const started = Date.now();
    expect(await run(pipeline({}))).to.deep.equal([12, 5]);
    expect(Date.now() - started).to.be.at.least(300);
    expect(erp.requests.filter((r) => r.path.includes('IM-1001'))).to.have.length(3);
  });

  it('after the last attempt fails, the message goes to the exception queue with the rule; no value is made up', async () => {
    erp.respond({ status: 503 }, { status: 502 }, { status: 500 });
    const e = await rejection(pipeline({}).run(dftState()));
    expect(e.code).to.equal('enrichment-unavailable');
    expect(e.message).to.equal('step 0 (enrich) (item 1): HTTP 500 after 3 attempts');
    expect(e.exception).to.deep.include({ rule: 'on-hand-unavailable', field: 'url' });
    expect(erp.requests).to.have.length(3);
  });

  it('a refusal (4xx) or an answer without the selected value is not retried and not guessed', async () => {
    const refused = await rejection(pipeline({}).run(dftState()));
    expect(refused.code).to.equal('enrichment-refused');
    expect(refused.message).to.equal('step 0 (enrich) (item 1): HTTP 404');
    expect(erp.requests).to.have.length(1);
    erp.respond({ status: 200, body: '{"available": 3}' });
    const empty = await rejection(pipeline({}).run(dftState()));
    expect(empty.code).to.equal('enrichment-refused');
    expect(empty.message).to.equal('step 0 (enrich) (item 1): the answer has no value for onHand');
  });

  it('onFailure default: the declared value after the retries, for advisory values only', async () => {
    onHand.set('IM-2002', 4);
    erp.respond({ status: 503 }, { status: 503 }, { status: 503 });
    expect(await run(pipeline({ onFailure: 'default', default: -1 }))).to.deep.equal([-1, 4]);
    expect(erp.requests.filter((r) => r.path.includes('IM-1001'))).to.have.length(3);
  });
});
