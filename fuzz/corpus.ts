import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

function files(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

/** Seeds per format: the samples shipped in samples/<format-folder>, good and bad ones alike. */
export function corpus(): Record<string, Buffer[]> {
  const read = (dir: string, ext: RegExp) =>
    files(join(ROOT, 'samples', dir))
      .filter((f) => ext.test(f))
      .map((f) => readFileSync(f));
  const csv = [
    ...read('csv', /\.csv$/i),
    ...read('flat', /\.(csv|txt)$/i),
    Buffer.from('item,quantity,unit,location\n100234,1,EA,OR01\n100567,"2",BX,"OR, 02"\n'),
  ];
  const fhir = [
    ...read('fhir', /\.json$/i),
    Buffer.from(
      '{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient","id":"p1","name":[{"family":"Test"}]}}]}',
    ),
  ];
  return {
    hl7v2: read('hl7', /\.(hl7|bin)$/i),
    x12: read('x12', /\.(x12|edi|txt)$/i),
    json: read('json', /\.json$/i),
    fhir,
    csv,
    as2: read('as2', /\.(eml|mime|txt|p7m)$/i),
  };
}
