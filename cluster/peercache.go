package cluster

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
)

// peerCache is this node's last known view of its cluster, kept in
// data_dir/peers.json. After a restart Raft rebuilds the state only once a
// leader contacts the node; until then the replicated peer table may be
// empty. A node removed while it was down is never contacted, so it reads
// this file to find its peers (gossip, and whether it was removed).
type peerCache struct {
	ClusterID string       `json:"cluster_id"`
	Peers     []cachedPeer `json:"peers"`
}

type cachedPeer struct {
	ID     string `json:"id"`
	API    string `json:"api_addr"`
	Gossip string `json:"gossip_addr,omitempty"`
}

const peerCacheFile = "peers.json"

func (c *Cluster) loadPeerCache() peerCache {
	var pc peerCache
	raw, err := os.ReadFile(filepath.Join(c.cfg.DataDir, peerCacheFile))
	if err == nil {
		json.Unmarshal(raw, &pc)
	}
	return pc
}

// currentPeers is the view to cache: the replicated peer table, once the
// node holds initialised state.
func (c *Cluster) currentPeers() (peerCache, bool) {
	st := c.node.Status()
	if !st.Initialized || st.Removed {
		return peerCache{}, false
	}
	pc := peerCache{ClusterID: st.ClusterID}
	for _, p := range c.node.State().Peers() {
		pc.Peers = append(pc.Peers, cachedPeer{ID: p.ID, API: p.APIAddr, Gossip: p.GossipAddr})
	}
	return pc, true
}

// savePeerCache writes the file when the view changed.
func (c *Cluster) savePeerCache() {
	c.peerMu.Lock()
	defer c.peerMu.Unlock()
	pc, ok := c.currentPeers()
	if !ok {
		return
	}
	if c.savedPeers.ClusterID == pc.ClusterID && slices.Equal(c.savedPeers.Peers, pc.Peers) {
		return
	}
	raw, _ := json.MarshalIndent(pc, "", "  ")
	tmp := filepath.Join(c.cfg.DataDir, peerCacheFile+".tmp")
	if err := os.WriteFile(tmp, raw, 0o600); err == nil && os.Rename(tmp, filepath.Join(c.cfg.DataDir, peerCacheFile)) == nil {
		c.savedPeers = pc
	}
}

// knownPeers is the replicated view when there is one, else the one saved
// before the last restart.
func (c *Cluster) knownPeers() peerCache {
	if pc, ok := c.currentPeers(); ok && len(pc.Peers) > 0 {
		return pc
	}
	c.peerMu.Lock()
	defer c.peerMu.Unlock()
	return c.savedPeers
}
