package fsm

import (
	"time"

	"iamd/iamerr"
)

// Cluster is the single row that says the cluster has been initialised.
type Cluster struct {
	ID          string // always "cluster"
	ClusterID   string
	ClusterName string
	InitTime    time.Time
}

const tableCluster = "cluster"

func init() {
	registerKeyedTable[Cluster](tableCluster, "ID")
	register(CmdInitCluster, "init-cluster", applyInitCluster)
}

const (
	CmdInitCluster CommandType = 1
)

// InitCluster is the first command of every cluster: it records the cluster
// identity, the root token and the default account with its root access key.
type InitCluster struct {
	ClusterID   string
	ClusterName string
	Time        time.Time
	RootToken   Token
	Account     Account
	RootKey     AccessKey
}

func applyInitCluster(tx *txn, env Env, cmd *InitCluster) (any, error) {
	if first[Cluster](tx, tableCluster, "id", "cluster") != nil {
		return nil, iamerr.New(iamerr.Conflict, "iamd is already initialized")
	}
	c := &Cluster{ID: "cluster", ClusterID: cmd.ClusterID, ClusterName: cmd.ClusterName, InitTime: cmd.Time}
	if err := insert(tx, tableCluster, c); err != nil {
		return nil, err
	}
	tok := cmd.RootToken
	if err := insert(tx, tableTokens, &tok); err != nil {
		return nil, err
	}
	if err := insertTokenMount(tx, cmd.Time, cmd.RootToken.Accessor); err != nil {
		return nil, err
	}
	acct := cmd.Account
	if err := insert(tx, tableAccounts, &acct); err != nil {
		return nil, err
	}
	key := cmd.RootKey
	if err := insert(tx, tableAccessKeys, &key); err != nil {
		return nil, err
	}
	return c, nil
}

// Cluster returns the cluster row, nil before initialisation.
func (s *State) Cluster() *Cluster {
	return first[Cluster](s.tx, tableCluster, "id", "cluster")
}
