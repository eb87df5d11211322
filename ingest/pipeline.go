// Package ingest is the one path every observation takes into the mission's record, whatever
// its source: decode → validate → locate and judge → store (deduplicated, durable) → publish.
//
// Decoding, validation and judging run in the submitting goroutine, so that many sources are
// judged in parallel. Storing is serialised through one writer that commits whatever batches
// have queued up in a single transaction (group commit): a submitter is answered only once its
// batch is durable. The queue between them is bounded; when it is full Submit fails at once with
// EUNAVAILABLE rather than buffer without limit or drop anything.
package ingest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/rules"
)

// Options tune a Pipeline. Zero values take the defaults.
type Options struct {
	// QueueBatches is how many submitted batches may wait for the writer (default 256).
	QueueBatches int
	// MaxGroup is the most observations the writer commits in one transaction (default 8192).
	MaxGroup int
	// MaxFuture is how far past the clock an observation's time may be (default 10 minutes);
	// a later time is a clock or format error at the source.
	MaxFuture time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Prepare, when set, is called with each batch submitted, in the submitting goroutine,
	// before the batch is queued: work the store's hook would otherwise do in the single
	// writer (hashing the log's records) is done there, in parallel, into Judged.Prepared.
	// It is called with the whole batch so that it can allocate for the batch at once, and
	// must leave alone what it prepared before (a Batcher prepares each observation as it
	// is added, then submits the batch).
	Prepare func(batch []truce.Judged)
}

// Pipeline judges, stores and publishes observations.
type Pipeline struct {
	judge *rules.Judge
	store truce.Store
	opt   Options
	queue chan *pending
	feed  *Feed
	stats *Stats

	mu      sync.RWMutex // held for reading while submitting, for writing by Close
	closed  bool
	stopped chan struct{}
	depth   atomic.Int64
}

// pending is a batch waiting for the writer, and how its submitter learns the outcome.
type pending struct {
	batch []truce.Judged
	dup   []bool
	seq   []int64
	err   error
	done  chan struct{}
	start time.Time
}

// New starts a pipeline that judges with j and stores into s. Close stops it.
func New(j *rules.Judge, s truce.Store, opt Options) (*Pipeline, error) {
	if opt.QueueBatches <= 0 {
		opt.QueueBatches = 256
	}
	if opt.MaxGroup <= 0 {
		opt.MaxGroup = 8192
	}
	if opt.MaxFuture <= 0 {
		opt.MaxFuture = 10 * time.Minute
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	last, err := s.LastSeq(context.Background())
	if err != nil {
		return nil, err
	}
	p := &Pipeline{judge: j, store: s, opt: opt, queue: make(chan *pending, opt.QueueBatches),
		feed: newFeed(last), stats: newStats(), stopped: make(chan struct{})}
	go p.write()
	return p, nil
}

// Feed is where the live picture learns of newly stored events.
func (p *Pipeline) Feed() *Feed { return p.feed }

// Stats are the pipeline's counters and histograms.
func (p *Pipeline) Stats() *Stats { return p.stats }

// Judge is the agreement the pipeline judges against.
func (p *Pipeline) Judge() *rules.Judge { return p.judge }

// QueueDepth is the number of batches waiting for the writer.
func (p *Pipeline) QueueDepth() int64 { return p.depth.Load() }

// Check validates o beyond its own Validate: what depends on the clock. It returns an
// EINVALID *truce.Error naming the field.
func (p *Pipeline) Check(o *truce.Observation) error {
	if o.Source == "" {
		return truce.Errorf(truce.EINVALID, "source: required")
	}
	if err := o.Validate(); err != nil {
		return err
	}
	if limit := p.opt.Now().Add(p.opt.MaxFuture); o.Time.After(limit) {
		return truce.Errorf(truce.EINVALID, "time: %s is in the future (more than %s past the mission's clock)", o.Time.UTC().Format(time.RFC3339), p.opt.MaxFuture)
	}
	return nil
}

// Judge appends o, judged, to batch. o must have passed Check.
func (p *Pipeline) JudgeInto(batch []truce.Judged, o *truce.Observation) []truce.Judged {
	j := truce.Judged{Observation: o, Findings: p.judge.Judge(o, nil)}
	j.EncodeAttrs()
	return append(batch, j)
}

// Submit makes a judged batch durable and publishes it. It returns once the batch is stored:
// dup[i] reports that batch[i] was already stored (by source and id) and was not stored again.
// Errors: EUNAVAILABLE when the queue is full or the pipeline is closing (try again later);
// the store's errors.
func (p *Pipeline) Submit(ctx context.Context, batch []truce.Judged) (dup []bool, err error) {
	if len(batch) == 0 {
		return nil, nil
	}
	if p.opt.Prepare != nil {
		p.opt.Prepare(batch)
	}
	p.mu.RLock()
	if p.closed {
		p.mu.RUnlock()
		return nil, truce.Errorf(truce.EUNAVAILABLE, "the server is shutting down")
	}
	req := &pending{batch: batch, done: make(chan struct{}), start: time.Now()}
	select {
	case p.queue <- req:
		p.depth.Add(1)
		p.mu.RUnlock()
	default:
		p.mu.RUnlock()
		p.stats.refused.Add(1)
		return nil, truce.Errorf(truce.EUNAVAILABLE, "the ingest queue is full; retry shortly")
	}
	// Once queued, the batch is written even if the submitter goes away: the writer owns it.
	select {
	case <-req.done:
	case <-ctx.Done():
		<-req.done
	}
	return req.dup, req.err
}

// write is the single writer: it commits queued batches in groups.
func (p *Pipeline) write() {
	defer close(p.stopped)
	group := make([]*pending, 0, 64)
	var all []truce.Judged
	var events []truce.Event
	for first := range p.queue {
		group = append(group[:0], first)
		n := len(first.batch)
	gather:
		for n < p.opt.MaxGroup {
			select {
			case more, ok := <-p.queue:
				if !ok {
					break gather
				}
				group = append(group, more)
				n += len(more.batch)
			default:
				break gather
			}
		}
		p.depth.Add(-int64(len(group)))
		all = all[:0]
		for _, req := range group {
			all = append(all, req.batch...)
		}
		dup, seq, err := p.store.Ingest(context.Background(), all)
		if err != nil && len(group) > 1 {
			// One bad batch must not fail the others: commit each alone to find it.
			for _, req := range group {
				req.dup, req.seq, req.err = p.store.Ingest(context.Background(), req.batch)
			}
		} else {
			off := 0
			for _, req := range group {
				k := len(req.batch)
				if err != nil {
					req.err = err
				} else {
					req.dup, req.seq = dup[off:off+k:off+k], seq[off:off+k:off+k]
				}
				off += k
			}
		}
		now := time.Now()
		events = events[:0]
		for _, req := range group {
			if req.err == nil {
				p.stats.recordBatch(req, now)
				for i, s := range req.seq {
					if !req.dup[i] {
						events = append(events, truce.Event{Seq: s, Observation: req.batch[i].Observation, Findings: req.batch[i].Findings})
					}
				}
			} else {
				p.stats.failed.Add(1)
			}
		}
		// The feed learns of the events before any submitter is answered, so a client that
		// posts and then reads the stream finds what it posted.
		p.feed.publish(events)
		for _, req := range group {
			close(req.done)
		}
	}
}

func (p *Pipeline) isClosed() bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.closed
}

// Close stops accepting batches, waits until every queued batch is stored, and stops the
// writer. The store is the caller's to close afterwards.
func (p *Pipeline) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return errors.New("ingest: pipeline already closed")
	}
	p.closed = true
	close(p.queue)
	p.mu.Unlock()
	<-p.stopped
	p.feed.close()
	return nil
}
