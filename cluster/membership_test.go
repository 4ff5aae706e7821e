package cluster_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"iamd/server"
)

func TestRetryJoinFormsTheClusterByItself(t *testing.T) {
	nodes := []*testNode{
		newNode(t, "r1", nodeOpts{gossipKey: true}),
		newNode(t, "r2", nodeOpts{gossipKey: true}),
		newNode(t, "r3", nodeOpts{gossipKey: true}),
	}
	// One shared list, own address included: each node skips itself.
	all := []string{nodes[0].gossipAddr(), nodes[1].gossipAddr(), nodes[2].gossipAddr()}
	for _, n := range nodes {
		n.cfg.Cluster.RetryJoin = all
		n.start()
	}
	eventually(t, 10*time.Second, "gossip to connect the three nodes", func() bool {
		return len(nodes[2].node.Members()) == 3
	})
	// Nobody elects itself while the cluster does not exist (§10.11).
	time.Sleep(500 * time.Millisecond)
	for _, n := range nodes {
		if n.node.HasRaftState() || n.node.Keyring() != nil {
			t.Fatalf("%s bootstrapped itself", n.id)
		}
	}

	nodes[0].initialize()
	eventually(t, 45*time.Second, "r2 and r3 to join as voters by themselves", func() bool {
		return slices.Equal(voters(t, nodes[0]), []string{"r1", "r2", "r3"})
	})
	tok, idx := createToken(t, nodes[2])
	for _, n := range nodes {
		if r := do(t, "GET", n.url()+"/v1/auth/token/lookup-self", tok, nil, "X-Iamd-Index", idx); r.status != 200 {
			t.Fatalf("token on %s: %d %s", n.id, r.status, r.errors())
		}
	}
	eventually(t, 10*time.Second, "gossip to carry every node's health and addresses", func() bool {
		for _, m := range nodes[1].node.Members() {
			if m.Status != "alive" || m.Health != "ok" || m.APIAddr == "" || m.RaftAddr == "" {
				return false
			}
		}
		return len(nodes[1].node.Members()) == 3
	})

	nodes[2].kill()
	eventually(t, 10*time.Second, "the others to see r3 gone", func() bool {
		for _, m := range nodes[0].node.Members() {
			if m.ID == "r3" {
				return m.Status == "failed"
			}
		}
		return false
	})
}

func removed(t *testing.T, n *testNode) bool {
	r := do(t, "GET", n.url()+"/v1/sys/health", "", nil)
	return r.status == 530 && r.body["removed_from_cluster"] == true
}

func TestRemovePeerResetAndRejoin(t *testing.T) {
	nodes := threeNodes(t)
	n1, n2, n3 := nodes[0], nodes[1], nodes[2]
	before, _ := createToken(t, n1)

	for _, tc := range []struct {
		body map[string]any
		want string
	}{
		{map[string]any{}, "no server id provided"},
		{map[string]any{"server_id": "nope"}, `no server with id "nope"`},
	} {
		if r := do(t, "POST", n2.url()+"/v1/sys/storage/raft/remove-peer", rootToken, tc.body); r.status != 400 || !strings.Contains(r.errors(), tc.want) {
			t.Fatalf("remove-peer %v: %d %s", tc.body, r.status, r.errors())
		}
	}

	// Through a follower: forwarded to the leader.
	if _, err := n2.client(rootToken).Logical().Write("sys/storage/raft/remove-peer", map[string]any{"server_id": "n3"}); err != nil {
		t.Fatal(err)
	}
	if got := voters(t, n1); !slices.Equal(got, []string{"n1", "n2"}) {
		t.Fatalf("voters after remove: %v", got)
	}
	eventually(t, 5*time.Second, "n3 to learn it was removed", func() bool { return removed(t, n3) })
	r := do(t, "POST", n3.url()+"/v1/auth/token/create", rootToken, map[string]any{})
	if r.status != 503 || !strings.Contains(r.errors(), "removed from the cluster") {
		t.Fatalf("write on a removed node: %d %s", r.status, r.errors())
	}
	createToken(t, n2) // the two remaining nodes carry on

	// The removal survives a restart: the node does not campaign again.
	n3.kill()
	n3.start()
	if !removed(t, n3) {
		t.Fatal("restarted removed node forgot its removal")
	}
	r = join(t, n3, n1.url(), false)
	if r.status != 400 || !strings.Contains(r.errors(), "-reset") {
		t.Fatalf("join of a removed node without reset: %d %s", r.status, r.errors())
	}
	r = join(t, n3, n1.url(), true)
	if r.status != 200 || r.body["outcome"] != "joined" || r.body["voter"] != true {
		t.Fatalf("join -reset: %d %v", r.status, r.body)
	}
	if removed(t, n3) || !slices.Equal(voters(t, n1), []string{"n1", "n2", "n3"}) {
		t.Fatal("rejoined node still removed")
	}
	tok, idx := createToken(t, n3)
	for _, a := range []string{before, tok} {
		if r := do(t, "GET", n3.url()+"/v1/auth/token/lookup-self", a, nil, "X-Iamd-Index", idx); r.status != 200 {
			t.Fatalf("rejoined node: %d %s", r.status, r.errors())
		}
	}

	// Removed while it was down: it finds out from its peers once back.
	n3.kill()
	if err := n1.node.RemovePeer(t.Context(), "n3"); err != nil {
		t.Fatal(err)
	}
	n3.start()
	eventually(t, 10*time.Second, "n3 to find out it was removed while down", func() bool { return n3.node.Removed() })
	if st := n3.node.Status(); st.IsLeader {
		t.Fatalf("removed node elected itself: %+v", st)
	}
	if err := n2.node.Reset(); err == nil || !strings.Contains(err.Error(), "remove it") {
		t.Fatalf("reset of a live member: %v", err)
	}
}

// Removing the leader itself, through a follower as an operator would: the
// call returns, the two others carry on, and the old leader's addresses
// leave the peer table with it. (A leader that removed itself directly
// could leave the caller waiting for ever, and, no longer a member, could
// not delete its own addresses.)
func TestRemovePeerOfTheLeader(t *testing.T) {
	nodes := threeNodes(t)
	leader := leaderOf(nodes)
	var others []*testNode
	for _, n := range nodes {
		if n != leader {
			others = append(others, n)
		}
	}
	done := make(chan error, 1)
	go func() {
		_, err := others[0].client(rootToken).Logical().Write("sys/storage/raft/remove-peer", map[string]any{"server_id": leader.id})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("remove-peer of the leader %s: %v", leader.id, err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("remove-peer of the leader %s did not return", leader.id)
	}
	want := []string{others[0].id, others[1].id}
	if got := voters(t, others[1]); !slices.Equal(got, want) {
		t.Fatalf("voters after removing the leader %s: %v", leader.id, got)
	}
	eventually(t, 5*time.Second, "the old leader to learn it was removed", func() bool { return removed(t, leader) })
	for _, n := range others {
		eventually(t, 5*time.Second, n.id+" to drop the old leader's addresses", func() bool { return n.node.State().Peer(leader.id) == nil })
	}
	createToken(t, others[1])
}

// A removed node whose Raft got the entry that removes it (the leader's
// last send to it) but not the leader's notice no longer lists itself in
// its own configuration; it must still find out by asking its peers. A node
// removed while down sees the same when it is back before that last send.
func TestRemovedNodeThatMissedTheNoticeFindsOut(t *testing.T) {
	nodes := threeNodes(t)
	n1, n3 := nodes[0], nodes[2]
	n3.srv.Close() // the notice goes to n3's API: it cannot arrive
	if err := n1.node.RemovePeer(t.Context(), "n3"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "n3's configuration to drop n3", func() bool {
		cfg, err := n3.node.RaftConfiguration()
		return n3.node.Removed() || err == nil &&
			!slices.ContainsFunc(cfg.Servers, func(s server.RaftServer) bool { return s.ID == "n3" })
	})
	eventually(t, 10*time.Second, "n3 to find out it was removed", func() bool { return n3.node.Removed() })
	if st := n3.node.Status(); st.IsLeader {
		t.Fatalf("removed node elected itself: %+v", st)
	}
}
