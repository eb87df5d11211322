// Parses CoT events with @tak-ps/node-cot, the way a Node TAK service reads them: one
// `new CoT(xml)` per event (xml-js parse, then schema validation). Usage:
//
//   node node-cot-parse.mjs EVENTS_DIR N ACCEPTED_OUT [RUNS]
//
// Events node-cot refuses are listed and left out; the ones it accepts are written,
// one after another, to ACCEPTED_OUT so that the Go side parses exactly the same events.
// Then the accepted events are parsed N times over (after one pass to warm up the JIT), RUNS
// times (default 1), and the best rate is printed as "node-cot events/s: X".
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [dir, nArg, acceptedOut, runsArg] = process.argv.slice(2);
const N = Number(nArg);
const RUNS = Number(runsArg || 1);
if (!dir || !(N > 0) || !acceptedOut) {
    console.error('usage: node node-cot-parse.mjs EVENTS_DIR N ACCEPTED_OUT');
    process.exit(2);
}

// node-cot is installed in bench/node, which is not on this script's resolution path.
const nodeDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../node');
const entry = createRequire(path.join(nodeDir, 'package.json')).resolve('@tak-ps/node-cot');
const { default: CoT } = await import(pathToFileURL(entry).href);
const version = JSON.parse(fs.readFileSync(path.join(nodeDir, 'node_modules/@tak-ps/node-cot/package.json'))).version;

// node-cot prints a warning for each schema complaint it tolerates; that is not parsing.
console.warn = () => {};

const accepted = [];
for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.xml')).sort()) {
    const xml = fs.readFileSync(path.join(dir, f), 'utf8');
    try {
        new CoT(xml);
        accepted.push(xml);
    } catch (err) {
        console.log(`node-cot refuses ${f}: ${err.message}`);
    }
}
fs.writeFileSync(acceptedOut, accepted.join('\n') + '\n');

for (const xml of accepted) new CoT(xml);
let best = Infinity;
const n = N * accepted.length;
for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) {
        for (const xml of accepted) new CoT(xml);
    }
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
}
console.log(`node-cot ${version} (node ${process.version}): ${n} events in ${best.toFixed(3)} s (best of ${RUNS})`);
console.log(`node-cot events/s: ${(n / best).toFixed(0)}`);
