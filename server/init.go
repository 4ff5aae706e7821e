package server

import (
	"context"
	"errors"
	"time"

	"github.com/hashicorp/raft"

	"iamd/fsm"
	"iamd/iamerr"
	"iamd/server/keyring"
)

// InitRequest asks a node to bootstrap a new cluster. Empty fields are
// generated.
type InitRequest struct {
	RootTokenID         string
	RootAccessKeyID     string
	RootSecretAccessKey string
}

// InitResult holds the secrets shown once at initialisation.
type InitResult struct {
	RootToken           string
	AccountID           string
	RootAccessKeyID     string
	RootSecretAccessKey string
}

// Initialize bootstraps a one-node Raft cluster on this node and writes the
// initial state. It fails on a node that holds any Raft state.
func (n *Node) Initialize(ctx context.Context, req InitRequest) (*InitResult, error) {
	n.initMu.Lock()
	defer n.initMu.Unlock()
	if n.removed.Load() {
		return nil, errRemoved()
	}
	r := n.Raft()
	if n.Initialized() || r.LastIndex() > 0 {
		return nil, iamerr.New(iamerr.Invalid, "iamd is already initialized")
	}
	if n.dev {
		return nil, iamerr.New(iamerr.Invalid, "iamd is already initialized")
	}
	k := keyring.Generate()
	if err := k.Save(n.dataDir); err != nil {
		return nil, iamerr.New(iamerr.Internal, "write keyring: %v", err)
	}
	n.keyring.Store(k)
	boot := raft.Configuration{Servers: []raft.Server{{
		ID: raft.ServerID(n.id), Address: n.transport.LocalAddr(), Suffrage: raft.Voter,
	}}}
	if err := r.BootstrapCluster(boot).Error(); err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
		return nil, iamerr.New(iamerr.Internal, "bootstrap raft: %v", err)
	}
	return n.initialize(ctx, req)
}

// initialize waits for leadership and applies the InitCluster command.
func (n *Node) initialize(ctx context.Context, req InitRequest) (*InitResult, error) {
	if err := n.waitLeader(ctx); err != nil {
		return nil, err
	}
	k := n.keyring.Load()
	now := n.now().UTC()
	res := &InitResult{
		RootToken:           req.RootTokenID,
		AccountID:           newAccountID(),
		RootAccessKeyID:     req.RootAccessKeyID,
		RootSecretAccessKey: req.RootSecretAccessKey,
	}
	if res.RootToken == "" {
		res.RootToken = newTokenID()
	}
	if res.RootAccessKeyID == "" {
		res.RootAccessKeyID = newAccessKeyID("AKIA")
	}
	if res.RootSecretAccessKey == "" {
		res.RootSecretAccessKey = newSecretAccessKey()
	}
	cmd := fsm.InitCluster{
		ClusterID:   newUUID(),
		ClusterName: "iamd-cluster-" + newHex8(),
		Time:        now,
		RootToken: fsm.Token{
			HMAC: k.HMAC(res.RootToken), Accessor: newAccessor(), Policies: []string{"root"},
			DisplayName: "root", Path: "auth/token/root", Orphan: true, Type: "service",
			CreationTime: now, IssueTime: now, Meta: map[string]string{},
		},
		Account: fsm.Account{ID: res.AccountID, Name: "default", CreatedAt: now},
		RootKey: fsm.AccessKey{
			AccessKeyID: res.RootAccessKeyID, AccountID: res.AccountID, Status: "Active", CreateDate: now,
			SecretCiphertext: k.Seal([]byte(res.RootSecretAccessKey), res.RootAccessKeyID),
		},
	}
	if _, err := n.apply(ctx, fsm.CmdInitCluster, cmd); err != nil {
		return nil, err
	}
	return res, nil
}

func (n *Node) waitLeader(ctx context.Context) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for n.Raft().State() != raft.Leader {
		select {
		case <-ctx.Done():
			return iamerr.New(iamerr.Unavailable, "timed out waiting for leadership")
		case <-t.C:
		}
	}
	return nil
}

// DevCredentials returns the root credentials a dev node created at start,
// for its banner; nil on a configured node.
func (n *Node) DevCredentials() *InitResult { return n.devCreds }
