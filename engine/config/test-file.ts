import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { configDiagnostic, type ConfigDiagnostic } from './diagnostics.js';
import type { Env } from './interpolate.js';
import { testFileSchema, type TestFile } from './test-file-schema.js';
import { validateFile } from './validate.js';
import { readYamlFile } from './yaml-file.js';

/** The test file of a channel file: `channels/or-usage.yaml` → `channels/or-usage.test.yaml`. */
export function testFileOf(channelFile: string): string {
  return channelFile.replace(/\.ya?ml$/i, '.test.yaml');
}

/** A checked test file: its cases with each input resolved to a path, or the reasons it cannot run. */
export type LoadedTestFile = { file: string; value?: TestFile; inputs: string[]; diagnostics: ConfigDiagnostic[] };

/**
 * Reads and checks a test file like a channel file: YAML, the schema (unknown keys are errors, at
 * least one case), every input an existing file, and — given the channel's route names — every route
 * an expectation names is a route of the channel. Never throws for bad input.
 */
export function loadTestFile(file: string, env: Env, channel?: { name: string; routes: readonly string[] }): LoadedTestFile {
  const yaml = readYamlFile(file, env);
  const diagnostics = [...yaml.diagnostics];
  if (yaml.data === undefined) return { file, inputs: [], diagnostics };
  const { value, diagnostics: found } = validateFile(testFileSchema, yaml, 'the test file');
  diagnostics.push(...found);
  if (!value) return { file, inputs: [], diagnostics };
  const inputs = value.cases.map((c, i) => {
    const path = resolve(dirname(file), c.input);
    const problem = inputProblem(path);
    if (problem)
      diagnostics.push(configDiagnostic(file, yaml.position(['cases', i, 'input']), 'input-unreadable', `${c.input} ${problem}`));
    return path;
  });
  if (channel) {
    const known = new Set(channel.routes);
    const expected = channel.routes.length ? `expected one of ${channel.routes.join(', ')}` : 'the channel has no routes';
    value.cases.forEach((c, i) => {
      const named: Array<[string, Array<string | number>]> = [
        ...Object.keys(c.expect.routes ?? {}).map((r): [string, Array<string | number>] => [r, ['cases', i, 'expect', 'routes', r]]),
        ...(c.expect.notRoutes ?? []).map((r, j): [string, Array<string | number>] => [r, ['cases', i, 'expect', 'notRoutes', j]]),
      ];
      for (const [route, path] of named) {
        if (known.has(route)) continue;
        const at = path[3] === 'routes' ? yaml.position(path.slice(0, -1), { key: route }) : yaml.position(path);
        diagnostics.push(configDiagnostic(file, at, 'unknown-route', `"${route}" is not a route of channel ${channel.name}; ${expected}`));
      }
    });
  }
  return { file, value, inputs, diagnostics };
}

function inputProblem(path: string): string | undefined {
  try {
    return statSync(path).isFile() ? undefined : 'is a directory; expected a sample file';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'does not exist (the path is relative to the test file)' : `cannot be read (${code ?? 'error'})`;
  }
}
