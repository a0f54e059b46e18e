// Size half of `cargo xtask bench`: every file of the built site (dist/, or
// the folder given), raw, gzip (level 9) and brotli (quality 11, text mode for
// text files), with node's zlib. Prints one JSON line: per file and the total.
// The embedding example under public/ is shipped too, so the total counts it;
// `first_load` is what opening the page fetches (everything at the top level:
// index.html, the JS glue, the wasm, the CSS, the icon), not the engine
// worker's files (scalelab-worker*), fetched when a job (a resilience report,
// a before/after table) first starts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const dist = process.argv[2] || process.env.SCALELAB_DIST;
if (!dist) throw new Error('usage: node bench-size.mjs DIST');

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else yield p;
  }
}

const files = [];
for (const p of walk(dist)) {
  const rel = relative(dist, p);
  if (rel.startsWith('.')) continue; // trunk's staging folder
  const data = readFileSync(p);
  const text = !/\.(wasm|png|jpg|ico|woff2?)$/.test(p);
  files.push({
    file: rel,
    raw: data.length,
    gzip: gzipSync(data, { level: 9 }).length,
    brotli: brotliCompressSync(data, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 11,
        [constants.BROTLI_PARAM_MODE]: text ? constants.BROTLI_MODE_TEXT : constants.BROTLI_MODE_GENERIC,
        [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
      },
    }).length,
    // public/ holds the embedding example; the worker comes with the first job.
    first_load: !rel.startsWith('public/') && !rel.startsWith('scalelab-worker'),
  });
}
files.sort((a, b) => b.raw - a.raw);
const sum = (fs, k) => fs.reduce((n, f) => n + f[k], 0);
const load = files.filter((f) => f.first_load);
console.log(
  JSON.stringify({
    figure: 'size',
    total: { raw: sum(files, 'raw'), gzip: sum(files, 'gzip'), brotli: sum(files, 'brotli') },
    first_load: { raw: sum(load, 'raw'), gzip: sum(load, 'gzip'), brotli: sum(load, 'brotli') },
    files,
  }),
);
