package sqlite

import (
	"context"
	"database/sql"
	"net/url"
	"time"
)

// Checkpointing the write-ahead log copies what was committed to it back into the database
// file. SQLite does it by default inside whichever commit makes the log pass 1,000 pages, so
// that one batch in a thousand waits for the copy and its fsync: seconds on a slow disk, a
// stall every client of the server sees. Instead a goroutine of the store checkpoints every
// checkpointEvery on a connection of its own, in PASSIVE mode, which never waits for the
// writer or for readers and so never holds them up; the writer's own automatic checkpoint
// stays as a safety net, at walSafetyPages, for when the background one cannot keep up.
const (
	checkpointEvery = 500 * time.Millisecond
	walSafetyPages  = 16384 // 256 MiB of 16 KiB pages
)

// startCheckpointer starts the background checkpoints; stop ends them and waits.
func startCheckpointer(path string, common url.Values) (stop func(), err error) {
	v := url.Values{}
	for k, vs := range common {
		v[k] = append([]string(nil), vs...)
	}
	conn, err := sql.Open("sqlite", "file:"+path+"?"+v.Encode())
	if err != nil {
		return nil, err
	}
	conn.SetMaxOpenConns(1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(checkpointEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				// A failure here (a busy file) only means the next tick tries again, or the
				// writer's safety net does the work.
				conn.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
			}
		}
	}()
	return func() {
		cancel()
		<-done
		conn.Close()
	}, nil
}
