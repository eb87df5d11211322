package tak

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/truce-project/truce/cot"
)

// LoadConfig describes a load of simulated devices against a TAK endpoint.
type LoadConfig struct {
	Addr     string        // the server's TCP endpoint
	Clients  int           // devices, each reporting its position once a second
	Duration time.Duration // how long they report
	// Burst markers are dropped by one device at a time, every BurstEvery, in one write,
	// around (Lat, Lon): a place where each becomes a finding.
	Burst      int
	BurstEvery time.Duration
	Lat, Lon   float64
	// Drain is how long to wait after the last report for every message to arrive.
	Drain time.Duration
	// ExpectedFindings, called once the devices have stopped, says how many findings the
	// server has published, which every device must receive. Without it (a server in
	// another process that cannot be asked) every device must receive as many as the device
	// that received the most, and at least one per marker.
	ExpectedFindings func() int64
}

// LoadResult is what the devices sent and received.
type LoadResult struct {
	Clients            int
	Elapsed            time.Duration
	PositionsSent      int64
	MarkersSent        int64
	PositionsReceived  int64 // position deliveries, over all devices
	PositionsExpected  int64 // every position to every other device
	FindingsPublished  int64
	FindingsReceived   int64       // finding deliveries, over all devices
	FindingsExpected   int64       // every finding to every device
	Position           Percentiles // a position's time to its arrival at another device
	Finding            Percentiles // the server's sending of a finding to its arrival
	MarkerToFinding    Percentiles // a marker's time to its finding's arrival: ingest, judging, the store's commit and the fan-out
	Disconnected       int64       // devices whose connection ended before the end
	PositionsMisplaced int64       // positions a device received of its own
}

// Percentiles of a delivery latency, from the event's time to its arrival at a device.
type Percentiles struct {
	N                       int64
	P50, P90, P95, P99, Max time.Duration
}

func (p Percentiles) String() string {
	return fmt.Sprintf("n=%d p50=%v p90=%v p95=%v p99=%v max=%v", p.N, p.P50, p.P90, p.P95, p.P99, p.Max)
}

// Lost is how many deliveries did not arrive.
func (r *LoadResult) Lost() int64 {
	return r.PositionsExpected - r.PositionsReceived + r.FindingsExpected - r.FindingsReceived
}

// histogram counts latencies in milliseconds up to 5 s; the last bucket holds everything
// longer. It is small (20 KB) because every device keeps three.
type histogram [5001]int32

func (h *histogram) add(ms int64) {
	if ms < 0 {
		ms = 0
	}
	if ms >= int64(len(h)-1) {
		ms = int64(len(h) - 1)
	}
	h[ms]++
}

func (h *histogram) percentiles() Percentiles {
	var p Percentiles
	for _, n := range h {
		p.N += int64(n)
	}
	if p.N == 0 {
		return p
	}
	at := func(q float64) time.Duration {
		want := int64(q*float64(p.N-1)) + 1
		var seen int64
		for ms, n := range h {
			if seen += int64(n); seen >= want {
				return time.Duration(ms) * time.Millisecond
			}
		}
		return time.Duration(len(h)-1) * time.Millisecond
	}
	p.P50, p.P90, p.P95, p.P99, p.Max = at(0.50), at(0.90), at(0.95), at(0.99), at(1)
	return p
}

// loadDevice is one simulated device speaking TAK protocol version 1.
type loadDevice struct {
	uid           string
	conn          net.Conn
	br            *bufio.Reader
	wmu           sync.Mutex
	sent          atomic.Int64
	positions     atomic.Int64
	findings      atomic.Int64
	own           atomic.Int64
	pos, fnd, e2e histogram
	closed        atomic.Bool
	tr            *timedReader
	// since is when the device connected, in Unix milliseconds: a finding whose marker is
	// older is one the server sent it on connecting (Options.CatchUp), not one of this load.
	since int64
}

// timedReader notes the time each read returns. A frame is timed by the read that brought
// its last byte or a later one: never earlier than it arrived, and one clock reading per read
// rather than per frame, of which there are a million a second.
type timedReader struct {
	conn net.Conn
	ms   int64
}

func (t *timedReader) Read(p []byte) (int, error) {
	n, err := t.conn.Read(p)
	t.ms = time.Now().UnixMilli()
	return n, err
}

// RunLoad connects cfg.Clients devices, negotiates TAK protocol version 1 on each, and has
// them report positions at 1 Hz and drop markers in bursts for cfg.Duration while every
// device reads everything the server sends. Latency is measured from the time in each
// event to its arrival, with millisecond resolution: for a position the time its device
// sent it; for a finding the time the server sent it (the event's time) and the time of the
// marker it came from (its start).
func RunLoad(ctx context.Context, cfg LoadConfig) (*LoadResult, error) {
	devs := make([]*loadDevice, cfg.Clients)
	var wg sync.WaitGroup
	errs := make(chan error, cfg.Clients)
	sem := make(chan struct{}, 32)
	for i := range devs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			d, err := dialDevice(cfg.Addr, fmt.Sprintf("LOAD-%04d", i))
			if err != nil {
				errs <- fmt.Errorf("device %d: %w", i, err)
				return
			}
			devs[i] = d
		}()
	}
	wg.Wait()
	close(errs)
	defer func() {
		for _, d := range devs {
			if d != nil {
				d.conn.Close()
			}
		}
	}()
	if err := <-errs; err != nil {
		return nil, err
	}
	res := &LoadResult{Clients: cfg.Clients}

	var readers sync.WaitGroup
	for _, d := range devs {
		readers.Add(1)
		go func() {
			defer readers.Done()
			d.read()
		}()
	}
	start := time.Now()
	stop := start.Add(cfg.Duration)
	var senders sync.WaitGroup
	for i, d := range devs {
		senders.Add(1)
		go func() {
			defer senders.Done()
			// Spread the devices over the second, as real devices are.
			next := start.Add(time.Duration(i) * time.Second / time.Duration(len(devs)))
			for next.Before(stop) && ctx.Err() == nil {
				time.Sleep(time.Until(next))
				if d.sendPosition() != nil {
					return
				}
				next = next.Add(time.Second)
			}
		}()
	}
	var markers atomic.Int64
	if cfg.Burst > 0 && cfg.BurstEvery > 0 {
		senders.Add(1)
		go func() {
			defer senders.Done()
			rng := rand.New(rand.NewPCG(1, 2))
			for k := 0; ; k++ {
				at := start.Add(cfg.BurstEvery/2 + time.Duration(k)*cfg.BurstEvery)
				if !at.Before(stop) || ctx.Err() != nil {
					return
				}
				time.Sleep(time.Until(at))
				d := devs[k%len(devs)]
				if d.sendMarkers(k, cfg.Burst, cfg.Lat, cfg.Lon, rng) == nil {
					markers.Add(int64(cfg.Burst))
				}
			}
		}()
	}
	senders.Wait()
	var sent int64
	for _, d := range devs {
		sent += d.sent.Load()
	}
	res.PositionsSent, res.MarkersSent = sent, markers.Load()
	for _, d := range devs {
		res.PositionsExpected += sent - d.sent.Load()
	}
	// Wait until everything has arrived, or the drain time is up.
	deadline := time.Now().Add(cfg.Drain)
	for {
		var pr, fr, most int64
		for _, d := range devs {
			pr += d.positions.Load()
			n := d.findings.Load()
			fr += n
			most = max(most, n)
		}
		if cfg.ExpectedFindings != nil {
			res.FindingsPublished = cfg.ExpectedFindings()
		} else {
			res.FindingsPublished = max(most, res.MarkersSent)
		}
		res.FindingsExpected = res.FindingsPublished * int64(len(devs))
		res.PositionsReceived, res.FindingsReceived = pr, fr
		if pr >= res.PositionsExpected && fr >= res.FindingsExpected && res.MarkersSent <= res.FindingsPublished || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	res.Elapsed = time.Since(start)
	for _, d := range devs {
		if d.closed.Load() {
			res.Disconnected++
		}
		d.conn.Close()
	}
	readers.Wait()
	var pos, fnd, e2e histogram
	for _, d := range devs {
		res.PositionsMisplaced += d.own.Load()
		for i := range pos {
			pos[i] += d.pos[i]
			fnd[i] += d.fnd[i]
			e2e[i] += d.e2e[i]
		}
	}
	res.Position, res.Finding, res.MarkerToFinding = pos.percentiles(), fnd.percentiles(), e2e.percentiles()
	return res, nil
}

func dialDevice(addr, uid string) (*loadDevice, error) {
	since := time.Now().UnixMilli()
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	tr := &timedReader{conn: conn}
	d := &loadDevice{uid: uid, conn: conn, tr: tr, br: bufio.NewReaderSize(tr, 64<<10), since: since}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if err := d.expectXML(typeProtoSupport); err != nil {
		conn.Close()
		return nil, err
	}
	req := controlEvent("protouid", typeProtoRequest, time.Now(), `<TakControl><TakRequest version="1"/></TakControl>`)
	if _, err := conn.Write(cot.AppendXML(nil, req)); err != nil {
		conn.Close()
		return nil, err
	}
	if err := d.expectXML(typeProtoResponse); err != nil {
		conn.Close()
		return nil, err
	}
	conn.SetDeadline(time.Time{})
	return d, nil
}

// expectXML reads XML events until one of type typ.
func (d *loadDevice) expectXML(typ string) error {
	for {
		b, err := d.br.ReadSlice('>')
		var ev []byte
		for err == nil {
			ev = append(ev, b...)
			if len(ev) >= len(endTag) && string(ev[len(ev)-len(endTag):]) == string(endTag) {
				break
			}
			b, err = d.br.ReadSlice('>')
		}
		if err != nil {
			return err
		}
		e, err := cot.UnmarshalXML(ev)
		if err != nil {
			return err
		}
		if e.Type == typ {
			return nil
		}
	}
}

func (d *loadDevice) write(b []byte) error {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	d.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := d.conn.Write(b)
	return err
}

func (d *loadDevice) sendPosition() error {
	now := time.Now().UTC()
	e := &cot.Event{Version: "2.0", UID: d.uid, Type: "a-f-G-U-C", How: "m-g", Time: now, Start: now,
		Stale: now.Add(2 * time.Minute), Point: cot.Point{Lat: 47.5, Lon: 35.0, HAE: 100, CE: 10, LE: cot.Unknown},
		Detail: cot.Detail{Contact: &cot.Contact{Callsign: d.uid, Endpoint: "*:-1:stcp"},
			Group: &cot.Group{Name: "Cyan", Role: "Team Member"}}}
	f, err := cot.AppendFrame(nil, e)
	if err != nil {
		return err
	}
	if err := d.write(f); err != nil {
		return err
	}
	d.sent.Add(1)
	return nil
}

func (d *loadDevice) sendMarkers(burst, n int, lat, lon float64, rng *rand.Rand) error {
	now := time.Now().UTC()
	var b []byte
	for i := range n {
		e := &cot.Event{Version: "2.0", UID: d.uid + "-m" + strconv.Itoa(burst) + "-" + strconv.Itoa(i), Type: "a-h-G-E-V",
			How: "h-g-i-g-o", Time: now, Start: now, Stale: now.Add(time.Hour),
			Point:  cot.Point{Lat: lat + (rng.Float64()-0.5)*0.01, Lon: lon + (rng.Float64()-0.5)*0.01, HAE: cot.Unknown, CE: 20, LE: cot.Unknown},
			Detail: cot.Detail{Contact: &cot.Contact{Callsign: "vehicle"}}}
		var err error
		if b, err = cot.AppendFrame(b, e); err != nil {
			return err
		}
	}
	return d.write(b)
}

// read counts and times every frame the device receives, reading only the fields it needs.
// The device frames the stream itself, in a buffer of its own whose pages it touches
// first: a thousand devices' buffers are 64 MB, and faulting them in on the first burst of
// findings would charge the benchmark's own memory to the server's latency.
func (d *loadDevice) read() {
	defer d.closed.Store(true)
	buf := make([]byte, 64<<10)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 1
	}
	// What the negotiation read past the server's answer.
	held, _ := d.br.Peek(d.br.Buffered())
	if len(held) > len(buf) {
		buf = make([]byte, len(held))
	}
	r, w := 0, copy(buf, held)
	// Every frame is timed by the read that brought its last byte (see timedReader).
	now := d.tr.ms
	for {
		for w > r {
			if buf[r] != 0xbf {
				return
			}
			n, k := binary.Uvarint(buf[r+1 : w])
			if k < 0 || n > 1<<20 {
				return
			}
			if k == 0 {
				break // the length is cut by the read
			}
			end := r + 1 + k + int(n)
			if end > w {
				if end-r > len(buf) {
					nb := make([]byte, end-r)
					w = copy(nb, buf[r:w])
					buf, r = nb, 0
				}
				break
			}
			d.count(buf[r+1+k:end], now)
			r = end
		}
		if r > 0 {
			w = copy(buf, buf[r:w])
			r = 0
		}
		n, err := d.tr.Read(buf[w:])
		now = d.tr.ms
		w += n
		if err != nil {
			return
		}
	}
}

// count counts one TakMessage the device received at now (Unix milliseconds).
func (d *loadDevice) count(msg []byte, now int64) {
	typ, uid, sendMs, startMs := frameFields(msg)
	switch {
	case len(uid) > len(FindingUIDPrefix) && string(uid[:len(FindingUIDPrefix)]) == FindingUIDPrefix:
		if int64(startMs) < d.since {
			return // sent on connecting: a finding from before this load
		}
		d.findings.Add(1)
		d.fnd.add(now - int64(sendMs))
		d.e2e.add(now - int64(startMs))
	case string(typ) == "a-f-G-U-C":
		if string(uid) == d.uid {
			d.own.Add(1)
		}
		d.positions.Add(1)
		d.pos.add(now - int64(sendMs))
	}
}

// frameFields reads the type, uid, send and start times of a TakMessage's event. It stops
// as soon as it has all four, which come first in the event (fields 1, 5, 6 and 7): a device
// in the load needs nothing else, and a thousand of them read a million frames a second.
func frameFields(msg []byte) (typ, uid []byte, sendMs, startMs uint64) {
	for len(msg) > 0 {
		num, wt, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return
		}
		msg = msg[n:]
		if num == 2 && wt == protowire.BytesType {
			ev, n := protowire.ConsumeBytes(msg)
			if n < 0 {
				return
			}
			var found uint8
			for len(ev) > 0 && found != 0b1111 {
				f, wt, k := protowire.ConsumeTag(ev)
				if k < 0 {
					return
				}
				ev = ev[k:]
				switch {
				case f == 1 && wt == protowire.BytesType:
					typ, k = protowire.ConsumeBytes(ev)
					found |= 1
				case f == 5 && wt == protowire.BytesType:
					uid, k = protowire.ConsumeBytes(ev)
					found |= 2
				case f == 6 && wt == protowire.VarintType:
					sendMs, k = protowire.ConsumeVarint(ev)
					found |= 4
				case f == 7 && wt == protowire.VarintType:
					startMs, k = protowire.ConsumeVarint(ev)
					found |= 8
				default:
					k = protowire.ConsumeFieldValue(f, wt, ev)
				}
				if k < 0 {
					return
				}
				ev = ev[k:]
			}
			return
		}
		n = protowire.ConsumeFieldValue(num, wt, msg)
		if n < 0 {
			return
		}
		msg = msg[n:]
	}
	return
}
