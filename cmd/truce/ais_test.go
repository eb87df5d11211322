package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	truce "github.com/truce-project/truce"
)

// tagBlock wraps an AIVDM sentence in an NMEA 4 tag block giving its source and time.
func tagBlock(source string, at time.Time, sentence string) string {
	body := fmt.Sprintf("s:%s,c:%d", source, at.Unix())
	var sum byte
	for i := 0; i < len(body); i++ {
		sum ^= body[i]
	}
	return fmt.Sprintf("\\%s*%02X\\%s", body, sum, sentence)
}

// TestServeStoresAISFromUDP starts truce serve with an AIS UDP source, sends it a position
// report in a datagram, and finds the vessel observation through the API.
func TestServeStoresAISFromUDP(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	probe, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := probe.LocalAddr().String()
	probe.Close()
	data := t.TempDir()
	analyst := lastLine(runCommand(t, "token", "create", "--role", "analyst", "--data", data))
	server := startServer(t, "--agreement", examplesDir("notional-east"), "--data", data, "--ais-udp", addr)
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	at := time.Now().Add(-time.Minute).Truncate(time.Second)
	datagram := tagBlock("shore-1", at, "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A") + "\r\n"
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); {
		conn.Write([]byte(datagram)) // UDP may be lost; the same report again is a duplicate
		time.Sleep(300 * time.Millisecond)
		status, body, err := httpDo(context.Background(), "GET", server.url+"/api/v1/observations?kind=sea.vessel", analyst, "", nil)
		if err != nil || status != 200 {
			t.Fatalf("%v %d %s", err, status, body)
		}
		var page struct{ Observations []truce.Observation }
		json.Unmarshal(body, &page)
		if len(page.Observations) == 0 {
			continue
		}
		o := page.Observations[0]
		if o.Source != "shore-1" || !o.Time.Equal(at) || o.Attrs["mmsi"] != float64(371798000) || !strings.HasPrefix(o.ID, "ais:371798000:") {
			t.Fatalf("observation %+v", o)
		}
		if len(page.Observations) != 1 {
			t.Errorf("%d observations for one report sent repeatedly", len(page.Observations))
		}
		// The vessel's record, read back from the store, is the one logged when it came in.
		exportFromServerVerifies(t, server.url, analyst, data)
		server.stop(t)
		return
	}
	t.Fatal("no vessel observation stored within 15 s")
}
