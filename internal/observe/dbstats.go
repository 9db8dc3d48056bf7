package observe

import (
	"database/sql"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// dbStats exports (*sql.DB).Stats() at every scrape, with the waits of the
// store's own queue in front of the pool (waits; nil: none).
type dbStats struct {
	db                               *sql.DB
	waits                            func() (int64, time.Duration)
	open, inUse, idle, maxOpen       *prometheus.Desc
	waitCount, waitDuration          *prometheus.Desc
	closedMaxIdle, closedMaxIdleTime *prometheus.Desc
	closedMaxLifetime                *prometheus.Desc
}

func newDBStats(db *sql.DB, waits func() (int64, time.Duration)) *dbStats {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("opsgraph_db_"+name, help, nil, nil)
	}
	return &dbStats{
		db:                db,
		waits:             waits,
		open:              d("connections_open", "Connections in the pool, in use or idle."),
		inUse:             d("connections_in_use", "Connections in use."),
		idle:              d("connections_idle", "Idle connections."),
		maxOpen:           d("connections_max_open", "The pool's cap on open connections (0: unlimited)."),
		waitCount:         d("wait_count_total", "Times a statement waited for a free connection (all of connections_max_open in use)."),
		waitDuration:      d("wait_duration_seconds_total", "Total time statements waited for a free connection."),
		closedMaxIdle:     d("connections_closed_max_idle_total", "Connections closed because the idle pool was full."),
		closedMaxIdleTime: d("connections_closed_max_idle_time_total", "Connections closed after idling too long."),
		closedMaxLifetime: d("connections_closed_max_lifetime_total", "Connections closed at their maximum lifetime."),
	}
}

func (c *dbStats) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.open, c.inUse, c.idle, c.maxOpen, c.waitCount, c.waitDuration,
		c.closedMaxIdle, c.closedMaxIdleTime, c.closedMaxLifetime} {
		ch <- d
	}
}

func (c *dbStats) Collect(ch chan<- prometheus.Metric) {
	s := c.db.Stats()
	if c.waits != nil {
		n, d := c.waits()
		s.WaitCount += n
		s.WaitDuration += d
	}
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	gauge(c.open, float64(s.OpenConnections))
	gauge(c.inUse, float64(s.InUse))
	gauge(c.idle, float64(s.Idle))
	gauge(c.maxOpen, float64(s.MaxOpenConnections))
	counter(c.waitCount, float64(s.WaitCount))
	counter(c.waitDuration, s.WaitDuration.Seconds())
	counter(c.closedMaxIdle, float64(s.MaxIdleClosed))
	counter(c.closedMaxIdleTime, float64(s.MaxIdleTimeClosed))
	counter(c.closedMaxLifetime, float64(s.MaxLifetimeClosed))
}
