// Package cluster runs several luckbox nodes on one etcd cluster: the
// election of the single writer (Node), the forwarding of writes to it (see
// web.Options.Leadership), background work that runs only on the writer
// (WhileLeader) and live events that reach every node (EventRelay).
package cluster
