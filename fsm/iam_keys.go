package fsm

import (
	"time"
	"unique"

	"iamd/iamerr"
)

// Access key commands. The AccessKey table itself lives in accounts.go
// because InitCluster creates the root key with the account.
const (
	CmdCreateAccessKey    CommandType = 210
	CmdUpdateAccessKey    CommandType = 211
	CmdDeleteAccessKey    CommandType = 212
	CmdRecordKeyUse       CommandType = 213 // entries written before CmdRecordKeyUseGroups
	CmdRecordKeyUseGroups CommandType = 214
)

func init() {
	register(CmdCreateAccessKey, "create-access-key", applyCreateAccessKey)
	register(CmdUpdateAccessKey, "update-access-key", applyUpdateAccessKey)
	register(CmdDeleteAccessKey, "delete-access-key", applyDeleteAccessKey)
	register(CmdRecordKeyUse, "record-key-use", applyRecordKeyUse)
	register(CmdRecordKeyUseGroups, "record-key-use-groups", applyRecordKeyUseGroups)
}

func noSuchKey(id string) error {
	return iamerr.WithCode(iamerr.NotFound, "NoSuchEntity", "The Access Key with id %s cannot be found", id)
}

// CreateAccessKey stores a key for a user (UserID set) or for the account
// root (UserID ""). At most MaxKeysPerUser per owner, decided here so that
// two concurrent creates cannot both pass; the ID must be unused anywhere
// (callers may choose it: SeaweedFS extension).
//
// The key's ExpirationDate must satisfy the account's API access policy
// (api_access_apply.go) as it stands when the command applies; Now is the
// proposer's clock.
type CreateAccessKey struct {
	Key      AccessKey
	UserName string    // for messages
	Now      time.Time `json:",omitempty"`
}

func applyCreateAccessKey(tx *txn, env Env, cmd *CreateAccessKey) (any, error) {
	k := cmd.Key
	if first[AccessKey](tx, tableAccessKeys, "id", k.AccessKeyID) != nil {
		return nil, iamerr.WithCode(iamerr.Conflict, "EntityAlreadyExists", "Access key %s already exists.", k.AccessKeyID)
	}
	if k.UserID != "" {
		u := userByID(tx, k.AccountID, k.UserID)
		if u == nil {
			return nil, noSuchUser(cmd.UserName)
		}
		k.UserName = u.UserName
	}
	if len(ownKeys(tx, k.AccountID, k.UserID)) >= MaxKeysPerUser {
		return nil, limitExceeded("Cannot exceed quota for AccessKeysPerUser: %d", MaxKeysPerUser)
	}
	if k.ServiceAccountID == "" {
		if err := keyExpiryAllowed(tx, k.AccountID, k.ExpirationDate, cmd.Now); err != nil {
			return nil, err
		}
	}
	if err := insert(tx, tableAccessKeys, &k); err != nil {
		return nil, err
	}
	return &k, nil
}

// ownKeys returns the keys a user (or, for userID "", the account root)
// holds directly, without its service accounts' keys and S3 credentials.
func ownKeys(tx *txn, acct, userID string) []*AccessKey {
	rows := accountKeys(tx, acct)
	if userID != "" {
		rows = userKeys(tx, acct, userID)
	}
	var out []*AccessKey
	for _, k := range rows {
		if k.AccountID == acct && k.UserID == userID && k.ServiceAccountID == "" && k.S4Role == "" {
			out = append(out, k)
		}
	}
	return out
}

// userKeys returns every key of a user: its own, its service accounts'
// and its S3 credentials, in key ID order.
func userKeys(tx *txn, acct, userID string) []*AccessKey {
	return all[AccessKey](tx, tableAccessKeys, "owner", acct, userID)
}

// accountKeys returns every key of the account, the root's and its users'.
func accountKeys(tx *txn, acct string) []*AccessKey {
	return all[AccessKey](tx, tableAccessKeys, "owner_prefix", acct, "")
}

// ownKey returns the key if it belongs directly to the owner, else nil.
func ownKey(tx *txn, acct, userID, keyID string) *AccessKey {
	k := first[AccessKey](tx, tableAccessKeys, "id", keyID)
	if k == nil || k.AccountID != acct || k.UserID != userID || k.ServiceAccountID != "" || k.S4Role != "" {
		return nil
	}
	return k
}

// UpdateAccessKey sets a key's status ("" leaves it) and, with
// SetExpiration, its ExpirationDate (nil: never expires), which must
// satisfy the account's API access policy. The key must be the owner's.
type UpdateAccessKey struct {
	AccountID     string
	UserID        string
	AccessKeyID   string
	Status        string
	SetExpiration bool       `json:",omitempty"`
	Expiration    *time.Time `json:",omitempty"`
	Tag           *string    `json:",omitempty"`
	Now           time.Time  `json:",omitempty"`
}

func applyUpdateAccessKey(tx *txn, env Env, cmd *UpdateAccessKey) (any, error) {
	k := ownKey(tx, cmd.AccountID, cmd.UserID, cmd.AccessKeyID)
	if k == nil {
		return nil, noSuchKey(cmd.AccessKeyID)
	}
	c := *k
	if cmd.Status != "" {
		c.Status = cmd.Status
	}
	if cmd.SetExpiration {
		if err := keyExpiryAllowed(tx, c.AccountID, cmd.Expiration, cmd.Now); err != nil {
			return nil, err
		}
		c.ExpirationDate = cmd.Expiration
	}
	if cmd.Tag != nil {
		c.Tag = *cmd.Tag
	}
	if !cmd.Now.IsZero() {
		now := cmd.Now
		c.ModifiedDate = &now
	}
	if err := insert(tx, tableAccessKeys, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// DeleteAccessKey removes one of the owner's keys.
type DeleteAccessKey struct {
	AccountID   string
	UserID      string
	AccessKeyID string
}

func applyDeleteAccessKey(tx *txn, env Env, cmd *DeleteAccessKey) (any, error) {
	k := ownKey(tx, cmd.AccountID, cmd.UserID, cmd.AccessKeyID)
	if k == nil {
		return nil, noSuchKey(cmd.AccessKeyID)
	}
	return nil, tx.Delete(tableAccessKeys, k)
}

// RecordKeyUse publishes, in one entry, the last uses a node has seen since
// its previous flush. Nodes now propose RecordKeyUseGroups; this command
// stays for the entries already in logs.
type RecordKeyUse struct {
	Uses map[string]KeyUse // access key ID -> use
}

func applyRecordKeyUse(tx *txn, env Env, cmd *RecordKeyUse) (any, error) {
	for id, use := range cmd.Uses {
		recordKeyUse(tx, id, shareNames(use))
	}
	return nil, nil
}

// RecordKeyUseGroups publishes, in one entry, the last uses a node has
// seen since its previous flush, grouped by second, service and region.
// A flush holds few such groups, so an entry carries each key ID and
// little else: about a third of the bytes of a RecordKeyUse, with one
// time to decode per group instead of one per use.
type RecordKeyUseGroups struct {
	Groups []KeyUseGroup
}

// KeyUseGroup is the keys last used in one second with one service and
// region.
type KeyUseGroup struct {
	Time    time.Time
	Service string
	Region  string
	Keys    []string // access key IDs
}

// Add puts id's use into the group of its second, service and region. The
// search is linear: a flush spans about a minute of one-second uses.
func (c *RecordKeyUseGroups) Add(id string, use KeyUse) {
	for i := range c.Groups {
		if g := &c.Groups[i]; g.Time.Equal(use.Time) && g.Service == use.Service && g.Region == use.Region {
			g.Keys = append(g.Keys, id)
			return
		}
	}
	c.Groups = append(c.Groups, KeyUseGroup{Time: use.Time, Service: use.Service, Region: use.Region, Keys: []string{id}})
}

// Len counts the uses.
func (c *RecordKeyUseGroups) Len() int {
	n := 0
	for _, g := range c.Groups {
		n += len(g.Keys)
	}
	return n
}

func applyRecordKeyUseGroups(tx *txn, env Env, cmd *RecordKeyUseGroups) (any, error) {
	tx.expectKeyUses(cmd.Len())
	for _, g := range cmd.Groups {
		use := shareNames(KeyUse{Time: g.Time, Service: g.Service, Region: g.Region})
		for _, id := range g.Keys {
			recordKeyUse(tx, id, use)
		}
	}
	return nil, nil
}

// recordKeyUse stores use as id's last use unless the key no longer exists
// or its stored use is as new. Older uses are ignored, so flushes from
// several nodes may arrive in any order.
func recordKeyUse(tx *txn, id string, use KeyUse) {
	k := first[AccessKey](tx, tableAccessKeys, "id", id)
	if k == nil {
		return // deleted since
	}
	if last, ok := tx.keyUse(id); ok && !use.Time.After(last.Time) {
		return // already newer
	}
	// The table keeps a use per key for as long as the key lives: its ID is
	// the row's string, not this entry's (see shareNames for the rest).
	tx.setKeyUse(k.AccessKeyID, use)
}

// shareNames returns use with its service and region names interned: the
// table keeps a use per key for as long as the key lives, and the few
// names are shared rather than two strings of an entry's per use.
func shareNames(use KeyUse) KeyUse {
	use.Service, use.Region = unique.Make(use.Service).Value(), unique.Make(use.Region).Value()
	return use
}

// OwnAccessKeys returns the keys of a user (userID "" = the account root),
// service account keys excluded, in key ID order.
func (s *State) OwnAccessKeys(acct, userID string) []*AccessKey {
	return ownKeys(s.tx, acct, userID)
}

// AccountAccessKeys returns every key of the account.
func (s *State) AccountAccessKeys(acct string) []*AccessKey {
	return accountKeys(s.tx, acct)
}
