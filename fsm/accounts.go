package fsm

import (
	"time"

	"github.com/hashicorp/go-memdb"
)

// Account is an AWS-style account: every IAM object belongs to one. iamd
// starts with a single default account; the model allows more.
type Account struct {
	ID        string // 12 digits
	Name      string
	CreatedAt time.Time
}

// AccessKey is an AWS access key. SecretCiphertext is the secret sealed by
// the server's keyring (AES-256-GCM); the clear secret is never stored.
// UserName is empty for the account root's key.
type AccessKey struct {
	AccessKeyID      string
	AccountID        string
	UserName         string
	SecretCiphertext []byte
	Status           string // Active | Inactive
	CreateDate       time.Time
}

const (
	tableAccounts   = "accounts"
	tableAccessKeys = "access_keys"
)

func init() {
	registerTable[Account](&memdb.TableSchema{
		Name:    tableAccounts,
		Indexes: map[string]*memdb.IndexSchema{"id": idIndex("ID")},
	})
	registerTable[AccessKey](&memdb.TableSchema{
		Name: tableAccessKeys,
		Indexes: map[string]*memdb.IndexSchema{
			"id": idIndex("AccessKeyID"),
			"user": {Name: "user", AllowMissing: true, Indexer: &memdb.CompoundIndex{
				Indexes: []memdb.Indexer{
					&memdb.StringFieldIndex{Field: "AccountID"},
					&memdb.StringFieldIndex{Field: "UserName"},
				},
				AllowMissing: true,
			}},
		},
	})
}

// Account returns the account with the given ID, or nil.
func (s *State) Account(id string) *Account { return first[Account](s.tx, tableAccounts, "id", id) }

// Accounts returns every account.
func (s *State) Accounts() []*Account { return all[Account](s.tx, tableAccounts, "id") }

// AccessKey returns the access key with the given ID, or nil.
func (s *State) AccessKey(id string) *AccessKey {
	return first[AccessKey](s.tx, tableAccessKeys, "id", id)
}
