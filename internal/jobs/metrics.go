package jobs

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type runnerMetrics struct {
	handledTotal   *prometheus.CounterVec
	failedTotal    *prometheus.CounterVec
	handleDuration *prometheus.HistogramVec
	deliveryLag    *prometheus.HistogramVec
	backlog        *prometheus.GaugeVec
	dead           *prometheus.GaugeVec
	oldestAge      *prometheus.GaugeVec
}

func newRunnerMetrics(reg prometheus.Registerer, _ *Runner) *runnerMetrics {
	m := &runnerMetrics{
		handledTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ocop_outbox_batches_total", Help: "Outbox batches handled, by topic."}, []string{"topic"}),
		failedTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ocop_outbox_failures_total", Help: "Outbox message failures, by topic and whether the message was dead-lettered."}, []string{"topic", "dead"}),
		handleDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ocop_outbox_batch_duration_seconds", Help: "Time to handle one outbox batch.", Buckets: prometheus.DefBuckets}, []string{"topic"}),
		deliveryLag: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ocop_outbox_delivery_lag_seconds", Help: "Time from commit of the change to successful delivery.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 3600}}, []string{"topic"}),
		backlog: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ocop_outbox_backlog", Help: "Outbox messages waiting (not dead), by topic."}, []string{"topic"}),
		dead: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ocop_outbox_dead_letters", Help: "Dead-lettered outbox messages, by topic."}, []string{"topic"}),
		oldestAge: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ocop_outbox_oldest_age_seconds", Help: "Age of the oldest waiting outbox message (the lag of the queue), by topic."}, []string{"topic"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.handledTotal, m.failedTotal, m.handleDuration, m.deliveryLag, m.backlog, m.dead, m.oldestAge} {
			if err := reg.Register(c); err != nil {
				// A second runner in one process (tests) shares the first one's metrics.
				var are prometheus.AlreadyRegisteredError
				if !errors.As(err, &are) {
					panic(err)
				}
			}
		}
	}
	return m
}

func (m *runnerMetrics) handled(topic string, d time.Duration) {
	m.handledTotal.WithLabelValues(topic).Inc()
	m.handleDuration.WithLabelValues(topic).Observe(d.Seconds())
}

func (m *runnerMetrics) delivered(topic string, lag time.Duration) {
	m.deliveryLag.WithLabelValues(topic).Observe(max(lag, 0).Seconds())
}

func (m *runnerMetrics) failed(topic string, dead bool) {
	d := "false"
	if dead {
		d = "true"
	}
	m.failedTotal.WithLabelValues(topic, d).Inc()
}

// observeLoop refreshes the queue gauges every 15 s.
func (m *runnerMetrics) observeLoop(ctx context.Context, o Outbox, log *slog.Logger) {
	t := time.NewTicker(15 * time.Second)
	defer t.Stop()
	for {
		stats, err := o.Stats(ctx)
		if err == nil {
			m.backlog.Reset()
			m.dead.Reset()
			m.oldestAge.Reset()
			for _, s := range stats {
				m.backlog.WithLabelValues(s.Topic).Set(float64(s.Pending))
				m.dead.WithLabelValues(s.Topic).Set(float64(s.Dead))
				if s.OldestReady != nil {
					m.oldestAge.WithLabelValues(s.Topic).Set(time.Since(*s.OldestReady).Seconds())
				}
			}
		} else if ctx.Err() == nil {
			log.Warn("outbox stats", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
