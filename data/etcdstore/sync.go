package etcdstore

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"luckbox/data"
)

// syncPage is how many keys one range read of a sync fetches.
const syncPage = 1000

// start brings the local copy to a state the watch can continue from and
// returns the revision to watch from. A fresh copy, or one that is ahead
// of etcd (another cluster, a reset prefix), is replaced by a range read;
// one that is behind catches up through the watch.
func (s *Store) start(ctx context.Context) (int64, error) {
	local, err := s.db.ReplicaRevision()
	if err != nil {
		return 0, err
	}
	resp, err := s.cfg.Client.Get(ctx, s.cfg.headKey())
	if err != nil {
		return 0, fmt.Errorf("etcd store: read head: %w", err)
	}
	var head int64
	if len(resp.Kvs) > 0 {
		head = resp.Kvs[0].ModRevision
	}
	switch {
	case local == 0 || local > head:
		rev, err := resync(ctx, &s.cfg, s.db)
		if err != nil {
			return 0, err
		}
		s.setRevision(rev)
		return rev + 1, nil
	case local == head:
		s.setRevision(resp.Header.Revision)
		return resp.Header.Revision + 1, nil
	}
	s.setRevision(local)
	return local + 1, nil
}

// resync replaces db's content by the prefix's at one revision, read in
// pages, and returns that revision.
func resync(ctx context.Context, cfg *Config, db *data.DB) (int64, error) {
	c := cfg.Client
	resp, err := c.Get(ctx, cfg.headKey())
	if err != nil {
		return 0, fmt.Errorf("etcd store: read head: %w", err)
	}
	rev, head := resp.Header.Revision, int64(0)
	if len(resp.Kvs) > 0 {
		head = resp.Kvs[0].ModRevision
	}
	end := clientv3.GetPrefixRangeEnd(cfg.Prefix)
	err = db.ReplaceRemote(head, func(apply func(ws *data.WriteSet) error) error {
		key := cfg.Prefix
		for {
			r, err := c.Get(ctx, key, clientv3.WithRange(end), clientv3.WithRev(rev), clientv3.WithLimit(syncPage))
			if err != nil {
				return fmt.Errorf("read %s at revision %d: %w", cfg.Prefix, rev, err)
			}
			ws := &data.WriteSet{}
			for _, kv := range r.Kvs {
				if w, ok := cfg.parse(kv.Key); ok {
					w.Value = kv.Value
					ws.Writes = append(ws.Writes, w)
				}
			}
			if err := apply(ws); err != nil {
				return err
			}
			if !r.More || len(r.Kvs) == 0 {
				return nil
			}
			key = string(r.Kvs[len(r.Kvs)-1].Key) + "\x00"
		}
	})
	if err != nil {
		return 0, fmt.Errorf("etcd store: sync: %w", err)
	}
	return rev, nil
}

// parse decodes a luckbox data key under the prefix; other keys (head, the
// cluster package's keys) are not data.
func (c *Config) parse(key []byte) (data.Write, bool) {
	rest, ok := bytes.CutPrefix(key, []byte(c.Prefix))
	if !ok || len(rest) < 2 || rest[1] != '/' {
		return data.Write{}, false
	}
	w, err := data.ParseWriteKey(rest)
	return w, err == nil
}

// watchRetry is the pause before the watch starts again after an error
// (a lost leader, a closed connection).
const watchRetry = 200 * time.Millisecond

// watch applies etcd's changes of the prefix to the local copy from
// revision from on, until ctx ends.
func (s *Store) watch(ctx context.Context, from int64) {
	defer close(s.done)
	for ctx.Err() == nil {
		wch := s.cfg.Client.Watch(clientv3.WithRequireLeader(ctx), s.cfg.Prefix,
			clientv3.WithPrefix(), clientv3.WithRev(from), clientv3.WithProgressNotify())
		for resp := range wch {
			if resp.CompactRevision > 0 {
				s.log.Warn("etcd store: watch behind compaction, syncing again", "from", from, "compacted", resp.CompactRevision)
				rev, err := resync(ctx, &s.cfg, s.db)
				if err != nil {
					s.log.Warn("etcd store: sync failed", "err", err)
					break
				}
				s.setRevision(rev)
				from = rev + 1
				break
			}
			if err := resp.Err(); err != nil {
				if ctx.Err() == nil {
					s.log.Warn("etcd store: watch failed, watching again", "from", from, "err", err)
				}
				break
			}
			if resp.IsProgressNotify() {
				s.setRevision(resp.Header.Revision)
				continue
			}
			from = s.apply(ctx, resp.Events, from)
		}
		select {
		case <-ctx.Done():
		case <-time.After(watchRetry):
		}
	}
}

// apply applies events, one local transaction per etcd revision (one
// luckbox transaction), and returns the revision to watch from next.
func (s *Store) apply(ctx context.Context, events []*clientv3.Event, from int64) int64 {
	head := []byte(s.cfg.headKey())
	for len(events) > 0 {
		rev := events[0].Kv.ModRevision
		n := 1
		for n < len(events) && events[n].Kv.ModRevision == rev {
			n++
		}
		ws, luckbox := &data.WriteSet{}, false
		for _, ev := range events[:n] {
			if bytes.Equal(ev.Kv.Key, head) {
				luckbox = true
				continue
			}
			w, ok := s.cfg.parse(ev.Kv.Key)
			if !ok {
				continue
			}
			w.Value, w.Delete = ev.Kv.Value, ev.Type == mvccpb.DELETE
			ws.Writes = append(ws.Writes, w)
		}
		if luckbox {
			for {
				_, err := s.db.ApplyRemote(ws, rev)
				if err == nil || ctx.Err() != nil {
					break
				}
				s.log.Warn("etcd store: applying a revision failed, retrying", "revision", rev, "err", err)
				time.Sleep(watchRetry)
			}
		}
		if ctx.Err() != nil {
			return from
		}
		s.setRevision(rev)
		from = rev + 1
		events = events[n:]
	}
	return from
}
