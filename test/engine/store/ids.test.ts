import { expect } from 'chai';
import { lastIdAt, newId } from '../../../engine/store/ids.js';

// Ids made here stand for the present: one made for a future time would put every id of this process
// after it for as long (ids only go forward), and other suites check ids against their receive times.
describe('message ids (UUIDv7)', () => {
  it('stand for the time they are made from, even when the clock turned a millisecond since it was read', () => {
    const at = Date.now();
    while (Date.now() <= at); // the clock turns between reading the receive time and making the id
    const id = newId(at);
    expect(id <= lastIdAt(at), `${id} made after ${new Date(at).toISOString()}`).to.equal(true);
    expect(id > lastIdAt(at - 1), `${id} made before ${new Date(at).toISOString()}`).to.equal(true);
  });

  it('sort in the order they were made, within one millisecond too, and are RFC 9562 version 7', () => {
    const at = Date.now();
    const ids = Array.from({ length: 100 }, () => newId(at));
    expect([...ids].sort()).to.deep.equal(ids);
    expect(new Set(ids).size).to.equal(100);
    expect(ids[0]).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
