package fsm

import (
	"time"

	"github.com/hashicorp/go-memdb"

	"iamd/iamerr"
)

const (
	CmdCreateServiceAccount CommandType = 250
	CmdUpdateServiceAccount CommandType = 251
	CmdDeleteServiceAccount CommandType = 252
)

// ServiceAccount is SeaweedFS's service account: a credential owned by a
// user, evaluated with the parent's policies at request time, optionally
// narrowed by its own Policy and ended by Expiration. Its access key lives
// in the access key table (ServiceAccountID set) so that authentication
// looks up one table; the key's Status follows the account's.
type ServiceAccount struct {
	ID           string // sa:<parent name at creation>:<32 hex>
	AccountID    string
	ParentUserID string
	Description  string
	AccessKeyID  string
	Status       string // Active | Inactive
	Expiration   time.Time
	CreateDate   time.Time
	Policy       string `json:",omitempty"`
	Revision     uint64
}

// Expired reports whether the account's expiry has passed at now.
func (sa *ServiceAccount) Expired(now time.Time) bool {
	return !sa.Expiration.IsZero() && !now.Before(sa.Expiration)
}

const tableServiceAccounts = "iam_service_accounts"

func init() {
	registerTable[ServiceAccount](&memdb.TableSchema{
		Name: tableServiceAccounts,
		Indexes: map[string]*memdb.IndexSchema{
			"id":     idIndex("ID"),
			"parent": plainIndex("parent", "ParentUserID"),
		},
	})
	register(CmdCreateServiceAccount, "create-service-account", applyCreateServiceAccount)
	register(CmdUpdateServiceAccount, "update-service-account", applyUpdateServiceAccount)
	register(CmdDeleteServiceAccount, "delete-service-account", applyDeleteServiceAccount)
}

// NoSuchServiceAccount is the error for a service account that is not there.
func NoSuchServiceAccount(id string) error {
	return iamerr.WithCode(iamerr.NotFound, "NoSuchEntity", "The service account with id %s cannot be found.", id)
}

// CreateServiceAccount stores a service account and its key.
type CreateServiceAccount struct {
	ServiceAccount ServiceAccount
	Key            AccessKey
	ParentName     string
}

func applyCreateServiceAccount(tx *txn, env Env, cmd *CreateServiceAccount) (any, error) {
	sa, k := cmd.ServiceAccount, cmd.Key
	u := userByID(tx, sa.AccountID, sa.ParentUserID)
	if u == nil {
		return nil, noSuchUser(cmd.ParentName)
	}
	if count(tx, tableServiceAccounts, "parent", sa.ParentUserID) >= MaxServiceAccounts {
		return nil, limitExceeded("Cannot exceed quota for ServiceAccountsPerUser: %d", MaxServiceAccounts)
	}
	if first[ServiceAccount](tx, tableServiceAccounts, "id", sa.ID) != nil ||
		first[AccessKey](tx, tableAccessKeys, "id", k.AccessKeyID) != nil {
		return nil, iamerr.WithCode(iamerr.Conflict, "EntityAlreadyExists", "Service account %s already exists.", sa.ID)
	}
	sa.Revision = env.Index
	k.UserName, k.UserID, k.ServiceAccountID, k.Status = u.UserName, u.UserID, sa.ID, sa.Status
	if err := insert(tx, tableServiceAccounts, &sa); err != nil {
		return nil, err
	}
	if err := insert(tx, tableAccessKeys, &k); err != nil {
		return nil, err
	}
	return &sa, nil
}

// UpdateServiceAccount changes status, description or expiry; nil fields
// are unchanged and a zero Expiration clears it.
type UpdateServiceAccount struct {
	AccountID   string
	ID          string
	Status      *string
	Description *string
	Expiration  *time.Time
}

func applyUpdateServiceAccount(tx *txn, env Env, cmd *UpdateServiceAccount) (any, error) {
	sa := first[ServiceAccount](tx, tableServiceAccounts, "id", cmd.ID)
	if sa == nil || sa.AccountID != cmd.AccountID {
		return nil, NoSuchServiceAccount(cmd.ID)
	}
	c := *sa
	if cmd.Description != nil {
		c.Description = *cmd.Description
	}
	if cmd.Expiration != nil {
		c.Expiration = *cmd.Expiration
	}
	if cmd.Status != nil {
		c.Status = *cmd.Status
		if k := first[AccessKey](tx, tableAccessKeys, "id", c.AccessKeyID); k != nil {
			kc := *k
			kc.Status = c.Status
			if err := insert(tx, tableAccessKeys, &kc); err != nil {
				return nil, err
			}
		}
	}
	if err := insert(tx, tableServiceAccounts, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// DeleteServiceAccount removes a service account and its key.
type DeleteServiceAccount struct {
	AccountID string
	ID        string
}

func applyDeleteServiceAccount(tx *txn, env Env, cmd *DeleteServiceAccount) (any, error) {
	sa := first[ServiceAccount](tx, tableServiceAccounts, "id", cmd.ID)
	if sa == nil || sa.AccountID != cmd.AccountID {
		return nil, NoSuchServiceAccount(cmd.ID)
	}
	if k := first[AccessKey](tx, tableAccessKeys, "id", sa.AccessKeyID); k != nil {
		if err := tx.Delete(tableAccessKeys, k); err != nil {
			return nil, err
		}
	}
	return nil, tx.Delete(tableServiceAccounts, sa)
}

// ServiceAccount returns a service account by ID, or nil.
func (s *State) ServiceAccount(id string) *ServiceAccount {
	return first[ServiceAccount](s.tx, tableServiceAccounts, "id", id)
}

// ServiceAccountsOf returns a user's service accounts, by ID.
func (s *State) ServiceAccountsOf(userID string) []*ServiceAccount {
	return all[ServiceAccount](s.tx, tableServiceAccounts, "parent", userID)
}

// ServiceAccounts returns every service account of the account, by ID.
func (s *State) ServiceAccounts(acct string) []*ServiceAccount {
	var out []*ServiceAccount
	for _, sa := range all[ServiceAccount](s.tx, tableServiceAccounts, "id") {
		if sa.AccountID == acct {
			out = append(out, sa)
		}
	}
	return out
}
