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
	// UserID is the owning IAMUser ("" for the root's keys); UserName
	// follows it through renames (UpdateUser).
	UserID string `json:",omitempty"`
	// ServiceAccountID is set on a service account's key (SeaweedFS
	// extension); such keys do not count against the user's two.
	ServiceAccountID string `json:",omitempty"`
	// S4Role is set on a role-based S3 credential (S4AK…, s3_credentials.go):
	// the role (Reader, Writer, SuperUser) that narrows what it may do.
	// Such keys have their own quota and are not listed with the user's two.
	S4Role string `json:",omitempty"`
	// LastUsed is the last use flushed through Raft (RecordKeyUse), in
	// snapshots only: the FSM keeps last uses beside the rows, whose field
	// stays nil (key_uses.go; State.KeyLastUsed). Each node also keeps
	// fresher uses in memory.
	LastUsed *KeyUse `json:",omitempty"`
	// ExpirationDate, when set, ends the key: from then on it is reported
	// as expired and every request signed with it fails (OUTSCALE
	// semantics, spec/account-security.md §1.4). ModifiedDate and Tag are
	// OUTSCALE's LastModificationDate and Tag.
	ExpirationDate *time.Time `json:",omitempty"`
	ModifiedDate   *time.Time `json:",omitempty"`
	Tag            string     `json:",omitempty"`
}

// Expired reports whether the key is past its ExpirationDate at now.
func (k *AccessKey) Expired(now time.Time) bool {
	return k.ExpirationDate != nil && !now.Before(*k.ExpirationDate)
}

// KeyUse is when and for what an access key last signed a request.
type KeyUse struct {
	Time    time.Time
	Service string
	Region  string
}

const (
	tableAccounts   = "accounts"
	tableAccessKeys = "access_keys"
)

func init() {
	registerKeyedTable[Account](tableAccounts, "ID")
	registerTable[AccessKey](&memdb.TableSchema{
		Name: tableAccessKeys,
		Indexes: map[string]*memdb.IndexSchema{
			"id": idIndex("AccessKeyID"),
			// One index serves both "a user's keys" and "an account's
			// keys" (a root key, UserID "", is indexed under its account
			// alone): every index costs memory and restore time per key,
			// which is what bounds a node with a million users.
			"owner": {Name: "owner", AllowMissing: true, Indexer: &memdb.CompoundIndex{
				Indexes: []memdb.Indexer{
					&memdb.StringFieldIndex{Field: "AccountID"},
					&memdb.StringFieldIndex{Field: "UserID"},
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
