// Package leader runs background work once per interval across every
// server instance sharing one database.
//
// Time is cut into slots: slot n is [n×interval, (n+1)×interval) since the
// Unix epoch, the same on every instance. At the start of each slot every
// instance wakes and tries to run the job; one does:
//
//  1. On PostgreSQL the instance takes the job's session advisory lock
//     (pg_try_advisory_lock) without waiting; an instance that cannot is
//     skipped, since another is running the job right now. The lock keeps
//     two runs from overlapping when one takes longer than the interval,
//     and is released when the run ends (or its connection dies).
//  2. It claims the slot in the leader_slots row of the job: one upsert that
//     only moves the row's slot forward. An instance that finds the slot
//     (or a later one) already claimed is skipped: the job ran in this
//     slot. This is what makes it once per slot rather than once at a time.
//  3. It runs the job.
//
// The claim is committed before the job runs, so a run that fails is not
// repeated in the same slot (it is logged; the next slot runs again): the
// job runs at most once per slot, and exactly once in each slot while any
// instance is up and the job succeeds. On SQLite there is no advisory lock;
// the claim alone decides, also between processes sharing the file.
//
// Instances should keep their clocks in sync (NTP): a slot is computed from
// the local clock, and the claim never moves back, so skew can make an
// instance skip a slot but never run one twice.
package leader

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"time"

	"entgo.io/ent/dialect"
)

// Table is the table of claimed slots (migration leader_slots).
const Table = "leader_slots"

// Job is one background job that runs once per Interval across instances.
type Job struct {
	// Name identifies the job in leader_slots and derives its lock key.
	Name string
	// Interval is the slot length.
	Interval time.Duration
	// Now is the clock (nil: time.Now); tests move it.
	Now func() time.Time

	db      *sql.DB
	dialect string
	key     int64
	id      string
}

// New returns the job name of the database db (of dialect dia) that runs
// once every interval.
func New(db *sql.DB, dia, name string, interval time.Duration) *Job {
	h := fnv.New64a()
	_, _ = h.Write([]byte("opsgraph/leader/" + name))
	host, _ := os.Hostname()
	return &Job{Name: name, Interval: interval, db: db, dialect: dia,
		key: int64(h.Sum64()), id: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), rand.Text()[:8])}
}

// LockKey is the PostgreSQL advisory-lock key the job's runs hold.
func (j *Job) LockKey() int64 { return j.key }

// Instance names this instance in the claimed_by column.
func (j *Job) Instance() string { return j.id }

func (j *Job) now() time.Time {
	if j.Now != nil {
		return j.Now()
	}
	return time.Now()
}

// Slot returns the slot t falls in.
func (j *Job) Slot(t time.Time) int64 { return t.UnixNano() / int64(j.Interval) }

// start returns the time slot begins.
func (j *Job) start(slot int64) time.Time { return time.Unix(0, slot*int64(j.Interval)) }

// TryRun runs fn as the job's run for slot, unless another instance is
// running the job or has claimed slot (or a later one) already; ran reports
// whether fn was called. err is fn's error, or a failure to lock or claim.
func (j *Job) TryRun(ctx context.Context, slot int64, fn func(ctx context.Context) error) (ran bool, err error) {
	ran, _, err = j.tryRun(ctx, slot, fn)
	return ran, err
}

// tryRun is TryRun; busy reports that another instance held the lock.
func (j *Job) tryRun(ctx context.Context, slot int64, fn func(ctx context.Context) error) (ran, busy bool, err error) {
	if j.dialect != dialect.Postgres {
		claimed, err := j.claim(ctx, j.db, slot)
		if err != nil || !claimed {
			return false, false, err
		}
		return true, false, fn(ctx)
	}
	conn, err := j.db.Conn(ctx)
	if err != nil {
		return false, false, fmt.Errorf("leader %s: connecting: %w", j.Name, err)
	}
	defer conn.Close()
	var locked bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", j.key).Scan(&locked); err != nil {
		return false, false, fmt.Errorf("leader %s: taking the lock: %w", j.Name, err)
	}
	if !locked {
		return false, true, nil
	}
	defer j.unlock(ctx, conn)
	claimed, err := j.claim(ctx, conn, slot)
	if err != nil || !claimed {
		return false, false, err
	}
	return true, false, fn(ctx)
}

// unlock releases the session lock; when that fails the connection is
// discarded, which releases it too.
func (j *Job) unlock(ctx context.Context, conn *sql.Conn) {
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := conn.ExecContext(uctx, "SELECT pg_advisory_unlock($1)", j.key); err != nil {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// claim moves the job's row to slot if it holds an earlier one (or none);
// it reports whether it did.
func (j *Job) claim(ctx context.Context, db execer, slot int64) (bool, error) {
	q := `INSERT INTO leader_slots AS s (job, slot, claimed_at, claimed_by) VALUES ($1, $2, $3, $4)
ON CONFLICT (job) DO UPDATE SET slot = excluded.slot, claimed_at = excluded.claimed_at, claimed_by = excluded.claimed_by
WHERE s.slot < excluded.slot`
	var at any = j.now().UTC()
	if j.dialect != dialect.Postgres {
		q = `INSERT INTO leader_slots (job, slot, claimed_at, claimed_by) VALUES (?, ?, ?, ?)
ON CONFLICT (job) DO UPDATE SET slot = excluded.slot, claimed_at = excluded.claimed_at, claimed_by = excluded.claimed_by
WHERE leader_slots.slot < excluded.slot`
		at = j.now().UTC().Format("2006-01-02 15:04:05.000")
	}
	res, err := db.ExecContext(ctx, q, j.Name, slot, at, j.id)
	if err != nil {
		return false, fmt.Errorf("leader %s: claiming slot %d: %w", j.Name, slot, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("leader %s: claiming slot %d: %w", j.Name, slot, err)
	}
	return n == 1, nil
}

// Run calls fn at the start of every slot in which this instance wins the
// job (TryRun), until ctx ends. While another instance holds the lock (its
// run of an earlier slot overran into this one) it tries again every
// twentieth of the interval until the slot ends, so an overrun delays a
// slot's run rather than losing it. A failed run is logged and not
// repeated before the next slot.
func (j *Job) Run(ctx context.Context, log *slog.Logger, fn func(ctx context.Context, slot int64) error) {
	if j.Interval <= 0 {
		return
	}
	for {
		next := j.Slot(j.now()) + 1
		t := time.NewTimer(time.Until(j.start(next)))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		slot := max(next, j.Slot(j.now()))
		if err := j.runSlot(ctx, slot, fn); err != nil && ctx.Err() == nil && !errors.Is(err, context.Canceled) {
			log.Error("background job failed", "job", j.Name, "slot", slot, "err", err)
		}
	}
}

// runSlot tries slot until it ran, another instance claimed it, or it ended.
func (j *Job) runSlot(ctx context.Context, slot int64, fn func(ctx context.Context, slot int64) error) error {
	retry := max(j.Interval/20, 5*time.Millisecond)
	for {
		_, busy, err := j.tryRun(ctx, slot, func(ctx context.Context) error { return fn(ctx, slot) })
		if !busy || err != nil || !time.Now().Add(retry).Before(j.start(slot+1)) {
			return err
		}
		t := time.NewTimer(retry)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}
