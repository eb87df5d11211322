package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/ais"
	"github.com/truce-project/truce/decode"
	"github.com/truce-project/truce/ingest"
	"github.com/truce-project/truce/rules"
)

// ingestBatch is how many observations go in one request or one transaction.
const ingestBatch = 2000

func init() {
	var serverURL, token, data, dir, inputFormat string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "ingest (--server URL --token T | --data DIR --agreement DIR) FILE...",
		Short: "Load files of observations into a server or straight into a data folder",
		Long: `Reads observations from each FILE (NDJSON, JSON, GeoJSON or CSV by extension, or
--input-format) and either posts them to a running server (--server, --token) in batches,
retrying when it is busy, or judges and stores them straight into a data folder (--data,
--agreement). Re-sending the same file is harmless: observations already stored are counted as
duplicates. Bad records are reported with file, line and field; the rest are loaded.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var send func(ctx context.Context, batch []*truce.Observation) (acc, dup int, rejected []string, err error)
			switch {
			case serverURL != "":
				if token == "" {
					token = os.Getenv("TRUCE_TOKEN")
				}
				if token == "" {
					return errors.New("--token (or TRUCE_TOKEN) is required with --server")
				}
				client := &http.Client{Timeout: 2 * time.Minute}
				send = func(ctx context.Context, batch []*truce.Observation) (int, int, []string, error) {
					return postBatch(ctx, client, strings.TrimSuffix(serverURL, "/"), token, batch)
				}
			case dir != "":
				if data == "" {
					data = envOr("TRUCE_DATA", defaultData)
				}
				judge, err := loadAgreement(dir)
				if err != nil {
					printProblems(cmd.ErrOrStderr(), dir, err)
					return exitError{code: 1}
				}
				store, err := openStore(data)
				if err != nil {
					return err
				}
				defer store.Close()
				mlog, err := openLog(store, data, defaultLogOrigin, "")
				if err != nil {
					return err
				}
				defer mlog.Close()
				pipe, err := ingest.New(judge, store, ingest.Options{Prepare: mlog.prepare})
				if err != nil {
					return err
				}
				defer func() {
					// Sign a checkpoint of what was loaded, after the last batch is stored.
					pipe.Close()
					if _, err := mlog.checkpoint(context.Background()); err != nil {
						fmt.Fprintln(cmd.ErrOrStderr(), "log checkpoint:", err)
					}
				}()
				send = func(ctx context.Context, batch []*truce.Observation) (int, int, []string, error) {
					return submitLocal(ctx, pipe, judge, batch)
				}
			default:
				return errors.New("give --server URL --token T, or --data DIR --agreement DIR")
			}
			stderr := cmd.ErrOrStderr()
			var total struct{ acc, dup, bad int }
			failed := false
			for _, name := range args {
				size := int64(-1)
				if st, err := os.Stat(name); err == nil {
					size = st.Size()
				}
				bar := progressbar.NewOptions64(size, progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription(name),
					progressbar.OptionShowBytes(true), progressbar.OptionSetVisibility(!quiet), progressbar.OptionThrottle(200*time.Millisecond),
					progressbar.OptionClearOnFinish())
				var batch []*truce.Observation
				flush := func() error {
					if len(batch) == 0 {
						return nil
					}
					acc, dup, rejected, err := send(cmd.Context(), batch)
					if err != nil {
						return err
					}
					total.acc += acc
					total.dup += dup
					total.bad += len(rejected)
					for _, r := range rejected {
						bar.Clear()
						fmt.Fprintf(stderr, "%s: %s\n", name, r)
					}
					batch = batch[:0]
					return nil
				}
				err := readObservationsProgress(name, inputFormat, bar, func(line int, o *truce.Observation, rerr *decode.RecordError) error {
					if rerr != nil {
						total.bad++
						bar.Clear()
						fmt.Fprintf(stderr, "%s:%s\n", name, rerr.Error()[len("line "):])
						return nil
					}
					batch = append(batch, o)
					if len(batch) >= ingestBatch {
						return flush()
					}
					return nil
				})
				if err == nil {
					err = flush()
				}
				bar.Finish()
				if err != nil {
					fmt.Fprintf(stderr, "%s: %v\n", name, err)
					failed = true
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d accepted, %d duplicates, %d rejected\n", total.acc, total.dup, total.bad)
			if failed {
				return exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&serverURL, "server", "", "URL of a running server, e.g. http://127.0.0.1:8080")
	cmd.Flags().StringVar(&token, "token", "", "a monitor, analyst or admin token (env TRUCE_TOKEN)")
	cmd.Flags().StringVar(&data, "data", "", "a data folder to store into directly (env TRUCE_DATA)")
	cmd.Flags().StringVar(&dir, "agreement", "", "the agreement folder, with --data")
	cmd.Flags().StringVar(&inputFormat, "input-format", "", "ndjson, json, geojson or csv (default: by extension)")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "no progress bar")
	rootCmd.AddCommand(cmd)
}

// readObservationsProgress is readObservations with the bytes read shown on bar.
func readObservationsProgress(name, format string, bar *progressbar.ProgressBar, h decode.Handler) error {
	if name == "-" {
		return readObservations(name, format, h)
	}
	f := decode.Format(format)
	file, err := os.Open(name)
	if err != nil {
		return err
	}
	defer file.Close()
	if f == "" && isAISFile(name) {
		r := progressbar.NewReader(file, bar)
		return readAIS(&r, sourceName(name), h)
	}
	if f == "" {
		if f, err = decode.FormatOfFile(name); err != nil {
			return err
		}
	}
	r := progressbar.NewReader(file, bar)
	return decode.Read(&r, f, decode.Options{Source: sourceName(name)}, h)
}

// submitLocal judges and stores a batch through a pipeline of this process.
func submitLocal(ctx context.Context, pipe *ingest.Pipeline, judge *rules.Judge, batch []*truce.Observation) (int, int, []string, error) {
	var judged []truce.Judged
	var rejected []string
	for _, o := range batch {
		if err := pipe.Check(o); err != nil {
			rejected = append(rejected, fmt.Sprintf("id %q: %s", o.ID, truce.ErrorMessage(err)))
			continue
		}
		judged = pipe.JudgeInto(judged, o)
	}
	for {
		dup, err := pipe.Submit(ctx, judged)
		if truce.ErrorCode(err) == truce.EUNAVAILABLE {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if err != nil {
			return 0, 0, rejected, err
		}
		d := 0
		for _, x := range dup {
			if x {
				d++
			}
		}
		return len(judged) - d, d, rejected, nil
	}
}

// postBatch posts a batch as NDJSON, retrying while the server answers 503.
func postBatch(ctx context.Context, client *http.Client, base, token string, batch []*truce.Observation) (int, int, []string, error) {
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	for _, o := range batch {
		if err := enc.Encode(o); err != nil {
			return 0, 0, nil, err
		}
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/observations", bytes.NewReader(body.Bytes()))
		if err != nil {
			return 0, 0, nil, err
		}
		req.Header.Set("Content-Type", "application/x-ndjson")
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := client.Do(req)
		if err != nil {
			if attempt < 5 {
				time.Sleep(time.Duration(attempt+1) * time.Second)
				continue
			}
			return 0, 0, nil, err
		}
		data, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == http.StatusServiceUnavailable {
			wait, _ := strconv.Atoi(res.Header.Get("Retry-After"))
			time.Sleep(time.Duration(max(wait, 1)) * time.Second)
			continue
		}
		if res.StatusCode != http.StatusOK {
			var e struct{ Message string }
			_ = json.Unmarshal(data, &e)
			return 0, 0, nil, fmt.Errorf("the server answered %s: %s", res.Status, e.Message)
		}
		var reply struct {
			Accepted, Duplicates int
			Rejected             []struct {
				Line  int
				ID    string
				Error string
			}
		}
		if err := json.Unmarshal(data, &reply); err != nil {
			return 0, 0, nil, fmt.Errorf("the server's reply cannot be read: %v", err)
		}
		var rejected []string
		for _, r := range reply.Rejected {
			rejected = append(rejected, fmt.Sprintf("id %q: %s", r.ID, r.Error))
		}
		return reply.Accepted, reply.Duplicates, rejected, nil
	}
}

// isAISFile tells NMEA files of AIS sentences by their extension.
func isAISFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".nmea", ".aivdm", ".ais":
		return true
	}
	return false
}

// readAIS decodes AIS sentences and hands each vessel position report to h as an
// observation. A report takes its time from its NMEA 4 tag block (c:); one without a time
// cannot be placed in the record and is reported as such. Bad sentences are reported with
// their line.
func readAIS(r io.Reader, source string, h decode.Handler) error {
	vessels := &ais.Vessels{DefaultSource: source}
	d := &ais.Decoder{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var line int64
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		m, err := d.Decode(line, text)
		if err != nil {
			msg := strings.TrimPrefix(err.Error(), fmt.Sprintf("line %d: ", line))
			if herr := h(int(line), nil, &decode.RecordError{Line: int(line), Msg: msg}); herr != nil {
				return herr
			}
			continue
		}
		if m == nil {
			continue // a fragment of a message still incomplete
		}
		o, ok := vessels.Observe(m, time.Time{})
		if !ok {
			if isPositionReport(m.Type) {
				rerr := &decode.RecordError{Line: int(line), Msg: "a position report with no time: give sentences an NMEA 4 tag block with c: (the time of reception)"}
				if err := h(int(line), nil, rerr); err != nil {
					return err
				}
			}
			continue
		}
		if err := h(int(line), &o, nil); err != nil {
			return err
		}
	}
	return sc.Err()
}

func isPositionReport(t uint8) bool {
	switch t {
	case 1, 2, 3, 9, 18, 19, 27:
		return true
	}
	return false
}
