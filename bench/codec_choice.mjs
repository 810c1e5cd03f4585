// Which encoder the byte transports use (issue 12): encode and decode times of one protocol
// message, for the candidates, in one process, medians of rounds. Prints a Markdown table for
// bench/NOTES.md. cbor-x is not a dependency: set CBOR_X=/path/to/node_modules/cbor-x to include it.
//   npm run build:ts && node bench/codec_choice.mjs
import { createRequire } from 'node:module';
import os from 'node:os';

const require = createRequire(import.meta.url);
const { encodeFrame, decodeFrame } = require('../dist/remote/codec/frames.js');
const { Packr, Unpackr } = require('msgpackr');

const messages = {
  '10,000 small objects': {
    op: 'result',
    seq: 7,
    value: {
      $: 'array',
      v: Array.from({ length: 10_000 }, (_, i) => ({ $: 'object', e: [['id', i], ['name', `item ${i}`], ['ok', true]] })),
    },
  },
  '1 MiB of bytes': { op: 'result', seq: 7, value: { $: 'buffer', b: new Uint8Array(1 << 20).fill(7) } },
};

function asJson(message) {
  return JSON.parse(
    JSON.stringify(message, (key, value) => (value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value)),
  );
}

const packr = new Packr({ useRecords: false, moreTypes: false, structuredClone: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });
const candidates = [
  { name: 'JSON (base64 bytes), the old frames', encode: (m) => Buffer.from(JSON.stringify(m)), decode: (b) => JSON.parse(b.toString()), json: true },
  { name: 'msgpackr pack / msgpackr unpack', encode: (m) => packr.pack(m), decode: (b) => unpackr.unpack(b) },
  { name: 'msgpackr pack / our decodeFrame (shipped)', encode: (m) => encodeFrame(m), decode: (b) => decodeFrame(b) },
];
if (process.env.CBOR_X) {
  const { Encoder, Decoder } = require(process.env.CBOR_X);
  const enc = new Encoder({ useRecords: false, structuredClone: false, tagUint8Array: false });
  const dec = new Decoder({ useRecords: false, mapsAsObjects: true });
  candidates.push({ name: 'cbor-x encode / decode', encode: (m) => enc.encode(m), decode: (b) => dec.decode(b) });
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function time(run, iterations) {
  for (let i = 0; i < 3; i++) run();
  const rounds = [];
  for (let r = 0; r < 7; r++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) run();
    rounds.push(Number(process.hrtime.bigint() - started) / iterations / 1e6);
  }
  return median(rounds);
}

console.log(`Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, ${new Date().toISOString()}\n`);
console.log('| message | codec | bytes | encode ms | decode ms |');
console.log('|---|---|---:|---:|---:|');
for (const [label, message] of Object.entries(messages)) {
  for (const codec of candidates) {
    const input = codec.json ? asJson(message) : message;
    const bytes = codec.encode(input);
    const iterations = label.startsWith('1 MiB') ? 20 : 5;
    const encodeMs = time(() => codec.encode(input), iterations);
    const decodeMs = time(() => codec.decode(bytes), iterations);
    console.log(`| ${label} | ${codec.name} | ${bytes.length} | ${encodeMs.toFixed(2)} | ${decodeMs.toFixed(2)} |`);
  }
}
