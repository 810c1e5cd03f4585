// Bundles preload.mjs for a sandboxed renderer: esbuild with platform "browser", so weakwire
// resolves to its portable backend and browser build; `electron` is left to the sandbox's require.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const here = (file) => fileURLToPath(new URL(file, import.meta.url));

export async function buildPreload({ write = true } = {}) {
  const result = await build({
    entryPoints: [here('./preload.mjs')],
    outfile: here('./preload.bundle.js'),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    external: ['electron'],
    write,
    logLevel: write ? 'info' : 'silent',
  });
  return write ? undefined : result.outputFiles[0].text;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildPreload();
