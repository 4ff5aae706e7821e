// Package cluster turns configured iamd nodes into one cluster: gossip
// membership (hashicorp/memberlist) carrying each node's ID, API and Raft
// addresses and health; joining (by the operator, or by itself through
// retry_join); forwarding a follower's writes to the leader; promotion of
// caught-up non-voters; and telling removed nodes they were removed.
//
// Node-to-node calls are HTTP requests on the API listener under
// /v1/sys/internal/cluster/, signed in both directions with an HMAC key
// derived from the cluster keyring (or, for the first step of an automatic
// join, from the gossip key), so nothing outside the cluster can inject log
// entries. With cluster TLS configured and an HTTPS API listener they also
// run over mutual TLS: the caller presents its cluster certificate, and an
// internal call without one from the cluster CA is refused (mtls.go).
//
// cluster imports server (the node and its operations) and never api: the
// wire dialects reach cluster features only through server.Node, which
// holds this package's implementations of server.Forwarder,
// server.PeerDirectory and server.Membership.
package cluster
