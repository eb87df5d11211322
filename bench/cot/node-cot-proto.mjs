// TAK protocol interoperability with @tak-ps/node-cot, for the cot package's tests.
//
//   node node-cot-proto.mjs encode EVENTS_DIR   XML events -> stream frames on stdout
//   node node-cot-proto.mjs decode FRAMES_FILE  stream frames -> one JSON summary per line
//
// encode writes, for each .xml file node-cot accepts (in name order), 0xbf, the varint
// length and node-cot's to_proto() TakMessage; the names of the files it refuses go to
// stderr. decode reads frames written by truce and prints what node-cot's from_proto() made
// of each, or {"error": ...} for a frame it refuses.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const nodeDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../node');
const entry = createRequire(path.join(nodeDir, 'package.json')).resolve('@tak-ps/node-cot');
const { default: CoT } = await import(pathToFileURL(entry).href);
console.warn = () => {};

function varint(n) {
    const out = [];
    while (n >= 0x80) {
        out.push((n & 0x7f) | 0x80);
        n = Math.floor(n / 128);
    }
    out.push(n);
    return out;
}

const [mode, arg] = process.argv.slice(2);
if (mode === 'encode') {
    const chunks = [];
    for (const f of fs.readdirSync(arg).filter((f) => f.endsWith('.xml')).sort()) {
        let cot;
        try {
            cot = new CoT(fs.readFileSync(path.join(arg, f), 'utf8'));
        } catch (err) {
            console.error(`refused ${f}`);
            continue;
        }
        const msg = cot.to_proto();
        chunks.push(Buffer.from([0xbf, ...varint(msg.length)]), Buffer.from(msg));
    }
    process.stdout.write(Buffer.concat(chunks));
} else if (mode === 'decode') {
    const b = fs.readFileSync(arg);
    let i = 0;
    while (i < b.length) {
        if (b[i] !== 0xbf) throw new Error(`no frame at byte ${i}`);
        i++;
        let n = 0, shift = 1;
        for (;;) {
            const c = b[i++];
            n += (c & 0x7f) * shift;
            shift *= 128;
            if (c < 0x80) break;
        }
        let cot;
        try {
            cot = CoT.from_proto(b.subarray(i, i + n));
        } catch (err) {
            console.log(JSON.stringify({ error: err.message }));
            continue;
        } finally {
            i += n;
        }
        const a = cot.raw.event._attributes, p = cot.raw.event.point._attributes, d = cot.raw.event.detail || {};
        console.log(JSON.stringify({
            uid: a.uid, type: a.type, how: a.how, time: a.time, start: a.start, stale: a.stale,
            lat: Number(p.lat), lon: Number(p.lon), hae: Number(p.hae),
            callsign: d.contact?._attributes?.callsign ?? '',
            remarks: d.remarks?._text ?? '',
            links: [d.link ?? []].flat().length,
        }));
    }
} else {
    console.error('usage: node node-cot-proto.mjs encode EVENTS_DIR | decode FRAMES_FILE');
    process.exit(2);
}
