// A TAK client built on @tak-ps/node-cot, for the tak package's interoperability test: it
// connects to a truce TAK endpoint, reports a device position and drops a marker, and prints
// what node-cot makes of the findings the server sends back. Usage:
//
//   node node-tak-client.mjs '{"host":"127.0.0.1","port":8087,"proto":true,
//       "tls":{"cert":"c.pem","key":"c.key","ca":"ca.pem"},
//       "uid":"NODE-1","callsign":"NODE ONE","lat":47.64884,"lon":36.35962,"want":1}'
//
// With "proto" it asks for TAK protocol version 1 when the server offers it, and then sends
// and reads stream frames (0xbf, varint length, TakMessage); without, it speaks XML. Each
// finding marker (uid truce-finding-...) is printed as one JSON line; after "want" of them it
// sends a ping, prints {"pong":true} when the answer comes, and exits 0. It exits 1 after 20 s.
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const nodeDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../node');
const entry = createRequire(path.join(nodeDir, 'package.json')).resolve('@tak-ps/node-cot');
const { default: CoT } = await import(pathToFileURL(entry).href);
console.warn = () => {};

const opt = JSON.parse(process.argv[2]);
const fail = (msg) => { console.error(msg); process.exit(1); };
setTimeout(() => fail('timed out'), 20000).unref();

function varint(n) {
    const out = [];
    while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128); }
    out.push(n);
    return Buffer.from(out);
}

// The events this client sends, built with node-cot.
function feature(id, type, how, callsign, remarks) {
    return CoT.from_geojson({
        id, type: 'Feature',
        properties: { type, how, callsign, remarks },
        geometry: { type: 'Point', coordinates: [opt.lon, opt.lat] },
    });
}
const self = feature(opt.uid, 'a-f-G-U-C', 'm-g', opt.callsign);
self.raw.event.detail.contact._attributes.endpoint = '*:-1:stcp';
const marker = feature(opt.uid + '-marker', 'a-h-G-E-V', 'h-g-i-g-o', 'two vehicles', 'two armoured vehicles by the road');
const request = CoT.ping();
request.raw.event._attributes.type = 't-x-takp-q';
request.raw.event.detail = { TakControl: { TakRequest: { _attributes: { version: '1' } } } };

const sock = opt.tls
    ? tls.connect({ host: opt.host, port: opt.port, cert: fs.readFileSync(opt.tls.cert),
        key: fs.readFileSync(opt.tls.key), ca: fs.readFileSync(opt.tls.ca), servername: 'localhost' })
    : net.connect({ host: opt.host, port: opt.port });
sock.on('error', (err) => fail(`socket: ${err.message}`));

let mode = 'xml';
let buf = Buffer.alloc(0);
let findings = 0;
let pinged = false;
// Between asking for protocol version 1 and the server's answer a client sends nothing: it
// does not know yet in which protocol the server will read what comes next.
let negotiating = false;
const held = [];

function send(cot) {
    if (negotiating) {
        held.push(cot);
        return;
    }
    if (mode === 'proto') {
        const msg = cot.to_proto();
        sock.write(Buffer.concat([Buffer.from([0xbf]), varint(msg.length), Buffer.from(msg)]));
    } else {
        sock.write(cot.to_xml());
    }
}

function report() {
    send(self);
    send(marker);
}

function handle(cot) {
    const a = cot.raw.event._attributes;
    const d = cot.raw.event.detail || {};
    if (a.type === 't-x-takp-v') {
        if (opt.proto) {
            sock.write(request.to_xml());
            negotiating = true;
        } else report();
    } else if (a.type === 't-x-takp-r') {
        const status = d.TakControl?.TakResponse?._attributes?.status;
        if (status !== 'true') fail(`protocol refused: ${JSON.stringify(d)}`);
        mode = 'proto';
        negotiating = false;
        for (const cot of held.splice(0)) send(cot);
        report();
    } else if (a.type === 't-x-c-t-r') {
        console.log(JSON.stringify({ pong: true, mode }));
        sock.end();
        process.exit(0);
    } else if (String(a.uid).startsWith('truce-finding-')) {
        const p = cot.raw.event.point._attributes;
        console.log(JSON.stringify({
            uid: a.uid, type: a.type, how: a.how, time: a.time, start: a.start, stale: a.stale,
            lat: Number(p.lat), lon: Number(p.lon), ce: Number(p.ce),
            callsign: d.contact?._attributes?.callsign ?? '', remarks: d.remarks?._text ?? '', mode,
        }));
        if (++findings >= opt.want && !pinged) {
            pinged = true;
            send(CoT.ping());
        }
    }
}

sock.on('data', (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
        if (mode === 'xml') {
            const end = buf.indexOf('</event>');
            if (end < 0) return;
            const xml = buf.subarray(0, end + 8).toString('utf8');
            buf = buf.subarray(end + 8);
            handle(new CoT(xml));
        } else {
            if (buf.length < 2) return;
            if (buf[0] !== 0xbf) fail(`no frame: byte 0x${buf[0].toString(16)}`);
            let n = 0, shift = 1, i = 1;
            for (;;) {
                if (i >= buf.length) return;
                const c = buf[i++];
                n += (c & 0x7f) * shift;
                shift *= 128;
                if (c < 0x80) break;
            }
            if (buf.length < i + n) return;
            const msg = buf.subarray(i, i + n);
            buf = buf.subarray(i + n);
            handle(CoT.from_proto(msg));
        }
    }
});
