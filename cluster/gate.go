package cluster

import "sync/atomic"

// Gate is a Node's leadership as the HTTP layer should see it: the node
// serves writes itself only once the current term was opened (Open, after
// its local copy caught up with etcd); until then writes arriving here are
// refused with 503 like any write during a change of writer, never
// applied to a stale copy. It implements web.Leadership.
type Gate struct {
	node *Node
	term atomic.Int64
}

// NewGate returns a closed gate over n.
func NewGate(n *Node) *Gate { return &Gate{node: n} }

// Open lets writes in for term (the create revision of the election key).
func (g *Gate) Open(term int64) { g.term.Store(term) }

// IsLeader reports whether the node is the writer in the term last opened.
func (g *Gate) IsLeader() bool {
	_, term, ok := g.node.Fence()
	return ok && term == g.term.Load()
}

// LeaderURL is the writer's advertise URL ("" unknown).
func (g *Gate) LeaderURL() string { return g.node.LeaderURL() }
