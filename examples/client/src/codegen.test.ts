/**
 * The committed src/generated file is exactly what `npm run codegen` makes from schema.graphql
 * and src/operations: the same generator runs, writes nothing, and its output is compared with
 * the file on disk.
 *
 * It runs in a child process: the codegen plugins load ES modules (auto-bind) that jest's
 * CommonJS runtime cannot require, while Node itself can.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exampleRoot = join(__dirname, '..');
const tsx = require.resolve('tsx/cli');

it('the generated operations are current (run `npm run codegen` if this fails)', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [tsx, join(exampleRoot, 'codegen.ts'), '--stdout'],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const { filename, content } = JSON.parse(stdout) as { filename: string; content: string };
  expect(filename).toBe(join(exampleRoot, 'src', 'generated', 'graphql.ts'));
  expect(readFileSync(filename, 'utf8')).toEqual(content);
}, 60_000);
