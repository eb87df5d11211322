// Package server is the mission's HTTP API and its pages: observations come in through
// POST /api/v1/observations and go down the ingest pipeline; findings, observations, the
// agreement and a live feed of server-sent events go out, each filtered by the role of the
// caller's token. Errors are JSON objects with a code and a message, mapped from the error
// codes of package truce in one place (errors.go).
package server

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	truce "github.com/truce-project/truce"
	"github.com/truce-project/truce/ingest"
	"github.com/truce-project/truce/report"
)

// Options tune the server. Zero values take the defaults.
type Options struct {
	// MaxBodyBytes bounds one request body (default 32 MiB).
	MaxBodyBytes int64
	// KeepAlive is how often an idle event stream gets a comment line (default 15 s).
	KeepAlive time.Duration
	// Log, when set, serves the mission's tamper-evident record under /api/v1/log.
	Log Log
	// RequiredApprovals is how many different analysts must verify a finding (default 2).
	RequiredApprovals int
	// Incidents, when set, serves the incidents fusion keeps under /api/v1/incidents, and the
	// analysts' merges and splits of them.
	Incidents truce.IncidentDesk
	// EvidenceDir, when set, is the folder where evidence files are kept by their SHA-256
	// (POST and GET /api/v1/evidence).
	EvidenceDir string
	// Notifiers are told of every notice of the liaison channel (see truce.Notifier and
	// Server.AddNotifier).
	Notifiers []truce.Notifier
	// InspectionDeadline is how long the mission has to answer an inspection request
	// (default truce.DefaultInspectionDeadline, 48 h).
	InspectionDeadline time.Duration
	// Now is the clock that sets deadlines and decides what is overdue (default time.Now).
	Now func() time.Time
}

// Server serves the API of one mission.
type Server struct {
	store     truce.Store
	pipeline  *ingest.Pipeline
	opt       Options
	mux       *http.ServeMux
	ready     atomic.Bool
	started   time.Time
	metrics   http.Handler
	mapSVG    []byte
	streams   atomic.Int64
	reviews   *reviewHub
	notices   *hub[truce.Notice]
	incidents *hub[truce.Incident]
	notifiers notifiers
	// reports makes the daily and spot reports; nil (with reportsErr saying why) when the
	// agreement's time zone cannot be loaded.
	reports    *report.Generator
	reportsErr error
}

// New returns a server over the pipeline and its store. It is not ready (GET /readyz answers
// 503) until SetReady.
func New(s truce.Store, p *ingest.Pipeline, opt Options) *Server {
	if opt.MaxBodyBytes <= 0 {
		opt.MaxBodyBytes = 32 << 20
	}
	if opt.KeepAlive <= 0 {
		opt.KeepAlive = 15 * time.Second
	}
	if opt.RequiredApprovals <= 0 {
		opt.RequiredApprovals = 2
	}
	if opt.InspectionDeadline <= 0 {
		opt.InspectionDeadline = truce.DefaultInspectionDeadline
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	srv := &Server{store: s, pipeline: p, opt: opt, mux: http.NewServeMux(), started: time.Now(), reviews: newReviewHub(), notices: newHub[truce.Notice](),
		incidents: newHub[truce.Incident]()}
	// Notices made before this server started are not handed on again (see pumpNotices).
	srv.notifiers.last, _ = s.LastNotice(context.Background())
	reg := p.Stats().Registry
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "truce_ingest_queue_depth", Help: "Batches waiting for the writer."}, func() float64 { return float64(p.QueueDepth()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "truce_event_streams", Help: "Open /events streams."}, func() float64 { return float64(srv.streams.Load()) }),
	)
	srv.notifiers.list = append([]truce.Notifier(nil), opt.Notifiers...)
	srv.metrics = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	srv.mapSVG = report.NewMap(p.Judge()).SVG(nil, nil)
	srv.reports, srv.reportsErr = report.New(p.Judge(), s, report.Options{})
	srv.routes()
	return srv
}

func (s *Server) now() time.Time { return s.opt.Now() }

// SetReady marks the server as accepting observations.
func (s *Server) SetReady(ready bool) { s.ready.Store(ready) }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Who may call what. Every API route names the roles allowed; anything else is refused with
// 403 and audited.
var (
	submitters = []truce.Role{truce.RoleAdmin, truce.RoleMonitor, truce.RoleAnalyst}
	insiders   = []truce.Role{truce.RoleAdmin, truce.RoleAnalyst}
	readers    = []truce.Role{truce.RoleAdmin, truce.RoleAnalyst, truce.RoleLiaison, truce.RoleObserver}
)

func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "uptime_s": int(time.Since(s.started).Seconds())})
	})
	s.mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if !s.ready.Load() {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "starting"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"status": "ready"})
	})
	s.mux.Handle("GET /metrics", s.allow(insiders, func(w http.ResponseWriter, r *http.Request, _ *truce.Token) {
		s.metrics.ServeHTTP(w, r)
	}))
	s.mux.Handle("POST /api/v1/observations", s.allow(submitters, s.postObservations))
	s.mux.Handle("GET /api/v1/observations", s.allow(insiders, s.getObservations))
	s.mux.Handle("GET /api/v1/sources", s.allow(insiders, s.getSources))
	s.mux.Handle("GET /api/v1/findings", s.allow(readers, s.getFindings))
	s.mux.Handle("GET /api/v1/findings/{id}", s.allow(readers, s.getFinding))
	s.mux.Handle("POST /api/v1/findings/{id}/review", s.allow(insiders, s.postReview))
	s.mux.Handle("GET /api/v1/findings/{id}/history", s.allow(insiders, s.getHistory))
	s.mux.Handle("POST /api/v1/findings/{id}/lock", s.allow(insiders, s.postLock))
	s.mux.Handle("DELETE /api/v1/findings/{id}/lock", s.allow(insiders, s.deleteLock))
	s.mux.Handle("GET /api/v1/incidents", s.allow(readers, s.getIncidents))
	s.mux.Handle("GET /api/v1/incidents/{id}", s.allow(readers, s.getIncident))
	s.mux.Handle("GET /api/v1/incidents/{id}/history", s.allow(insiders, s.getIncidentHistory))
	s.mux.Handle("POST /api/v1/incidents/merge", s.allow(insiders, s.postMerge))
	s.mux.Handle("POST /api/v1/incidents/{id}/split", s.allow(insiders, s.postSplit))
	s.mux.Handle("GET /api/v1/agreement", s.allow(readers, s.getAgreement))
	s.mux.Handle("GET /api/v1/agreement/map.svg", s.allow(readers, s.getMap))
	s.mux.Handle("GET /api/v1/events", s.allow(readers, s.getEvents))
	s.logRoutes()
	s.reportRoutes()
	s.evidenceRoutes()
	s.liaisonRoutes()
	s.webhookRoutes()
	s.openDataRoutes()
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, truce.Errorf(truce.ENOTFOUND, "no endpoint %s %s", r.Method, r.URL.Path))
	})
	s.mux.Handle("/", pageHandler())
}

// Drain stops answering as ready, so load balancers stop sending, before shutdown.
func (s *Server) Drain(ctx context.Context) { s.SetReady(false) }
