package data

import (
	"sync"
	"time"
)

// ActivityMinutes is how many minutes of per-minute counts the DB keeps
// for each Activity series (24 hours): the history behind PerMinute is
// bounded whatever the traffic, a fixed ring per series name.
const ActivityMinutes = 24 * 60

// activity holds the per-minute rings of the Activity series.
type activity struct {
	m sync.Map // name → *minuteRing
}

// minuteRing counts per minute; slot i holds minute stamp[i] (Unix minutes).
type minuteRing struct {
	mu    sync.Mutex
	stamp [ActivityMinutes]int64
	n     [ActivityMinutes]uint64
}

// Activity adds n to the current minute of series name once tx commits
// (like Count, an operation that runs twice or fails counts once or not at
// all). Domain packages call it for what the admin console charts, e.g.
// db.Activity(tx, "packet_grabs", 1); PerMinute reads the series. The
// series live in memory only: they start empty when the DB is opened.
func (db *DB) Activity(tx Tx, name string, n uint64) {
	tx.OnCommit(func() { db.activity.add(name, db.now(), n) })
}

func (a *activity) add(name string, at time.Time, n uint64) {
	v, ok := a.m.Load(name)
	if !ok {
		v, _ = a.m.LoadOrStore(name, new(minuteRing))
	}
	r := v.(*minuteRing)
	m := unixMinute(at)
	i := slot(m)
	r.mu.Lock()
	if r.stamp[i] != m {
		r.stamp[i], r.n[i] = m, 0
	}
	r.n[i] += n
	r.mu.Unlock()
}

func unixMinute(t time.Time) int64 { return t.Unix() / 60 }

func slot(m int64) int { return int(((m % ActivityMinutes) + ActivityMinutes) % ActivityMinutes) }

// PerMinute returns the counts of Activity series name in each of the last
// minutes (1..ActivityMinutes; clamped) up to and including the current
// one, oldest first, and the start of the first of those minutes. Minutes
// before the DB was opened count 0.
func (db *DB) PerMinute(name string, minutes int) (start time.Time, counts []uint64) {
	minutes = max(1, min(minutes, ActivityMinutes))
	now := unixMinute(db.now())
	first := now - int64(minutes) + 1
	counts = make([]uint64, minutes)
	if v, ok := db.activity.m.Load(name); ok {
		r := v.(*minuteRing)
		r.mu.Lock()
		for j := range counts {
			m := first + int64(j)
			if i := slot(m); r.stamp[i] == m {
				counts[j] = r.n[i]
			}
		}
		r.mu.Unlock()
	}
	return time.Unix(first*60, 0).UTC(), counts
}
