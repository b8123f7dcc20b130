/**
 * The committed src/generated files are exactly what `npm run codegen` makes from schema.graphql
 * and src/operations: codegen runs with the same config and writes nothing (generate(config,
 * false)), and each output is compared with the file on disk.
 *
 * It runs in a child node process: @graphql-codegen/cli needs yargs, an ES module that jest's
 * CommonJS runtime cannot require, while Node itself can.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

const exampleRoot = join(__dirname, '..');

const GENERATE = `
const { generate, loadCodegenConfig } = require('@graphql-codegen/cli');
loadCodegenConfig({ configFilePath: 'codegen.ts' })
  .then(({ config }) => generate({ ...config, silent: true }, false))
  .then((outputs) => {
    const files = outputs.map(({ filename, content }) => ({ filename, content }));
    process.stdout.write(JSON.stringify(files));
  });
`;

it('the generated operations are current (run `npm run codegen` if this fails)', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', GENERATE], {
    cwd: exampleRoot,
    maxBuffer: 16 * 1024 * 1024,
  });
  const outputs = JSON.parse(stdout) as { filename: string; content: string }[];
  expect(outputs.map((o) => relative(exampleRoot, o.filename))).toEqual([
    join('src', 'generated', 'graphql.ts'),
  ]);
  for (const { filename, content } of outputs) {
    const file = relative(exampleRoot, filename);
    expect({ file, content: readFileSync(filename, 'utf8') }).toEqual({ file, content });
  }
}, 60_000);
