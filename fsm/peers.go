package fsm

import (
	"time"

	"iamd/iamerr"
)

// Peer records where a cluster member answers: its API address for clients
// and forwarded writes, its Raft address, and its gossip address (which a
// restarted node uses to find the gossip pool again). Raft's own configuration
// knows only Raft addresses; replicating the API address lets every node
// find the leader's API without waiting for gossip.
type Peer struct {
	ID         string // Raft server ID (node_id)
	APIAddr    string
	RaftAddr   string
	GossipAddr string // "" without gossip
	UpdatedAt  time.Time
}

const tablePeers = "peers"

// Cluster membership commands (range 80-89 of the foundation block).
const (
	CmdSetPeer    CommandType = 80
	CmdDeletePeer CommandType = 81
)

func init() {
	registerKeyedTable[Peer](tablePeers, "ID")
	register(CmdSetPeer, "set-peer", applySetPeer)
	register(CmdDeletePeer, "delete-peer", applyDeletePeer)
}

// SetPeer creates or replaces a peer's addresses.
type SetPeer struct {
	Peer Peer
}

// DeletePeer forgets a peer removed from the Raft configuration.
type DeletePeer struct {
	ID string
}

func applySetPeer(tx *txn, _ Env, cmd *SetPeer) (any, error) {
	if cmd.Peer.ID == "" {
		return nil, iamerr.New(iamerr.Invalid, "peer id is empty")
	}
	p := cmd.Peer
	if err := tx.Insert(tablePeers, &p); err != nil {
		return nil, iamerr.New(iamerr.Internal, "store peer: %v", err)
	}
	return nil, nil
}

func applyDeletePeer(tx *txn, _ Env, cmd *DeletePeer) (any, error) {
	if _, err := tx.DeleteAll(tablePeers, "id", cmd.ID); err != nil {
		return nil, iamerr.New(iamerr.Internal, "delete peer: %v", err)
	}
	return nil, nil
}

// Peer returns the addresses recorded for a Raft server ID, nil if none.
func (s *State) Peer(id string) *Peer { return first[Peer](s.tx, tablePeers, "id", id) }

// Peers lists every recorded peer in ID order.
func (s *State) Peers() []*Peer { return all[Peer](s.tx, tablePeers, "id") }
