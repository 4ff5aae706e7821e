package fsm

import (
	"strings"
	"time"

	"github.com/hashicorp/go-memdb"

	"iamd/iamerr"
)

// AuthMount is an enabled auth method (sys/auth). Path always ends in "/".
type AuthMount struct {
	Path        string
	Type        string
	Accessor    string
	UUID        string
	Description string
	Local       bool
	SealWrap    bool
	Config      MountConfig
	Options     StringMap
	CreatedAt   time.Time
}

// MountConfig holds the tunable settings of a mount.
type MountConfig struct {
	DefaultLeaseTTL time.Duration
	MaxLeaseTTL     time.Duration
	TokenType       string
	// User lockout settings (userpass); zero values mean the defaults.
	LockoutThreshold    int
	LockoutDuration     time.Duration
	LockoutCounterReset time.Duration
	DisableLockout      bool
}

const tableAuthMounts = "auth_mounts"

const (
	CmdEnableAuth  CommandType = 10
	CmdDisableAuth CommandType = 11
	CmdTuneAuth    CommandType = 12
)

func init() {
	registerTable[AuthMount](&memdb.TableSchema{
		Name: tableAuthMounts,
		Indexes: map[string]*memdb.IndexSchema{
			"id":       idIndex("Path"),
			"accessor": uniqueIndex("accessor", "Accessor", false),
			"type":     plainIndex("type", "Type"),
		},
	})
	register(CmdEnableAuth, "enable-auth", applyEnableAuth)
	register(CmdDisableAuth, "disable-auth", applyDisableAuth)
	register(CmdTuneAuth, "tune-auth", applyTuneAuth)
}

// insertTokenMount creates the token/ mount that always exists.
func insertTokenMount(tx *txn, now time.Time, seed string) error {
	m := &AuthMount{Path: "token/", Type: "token", Accessor: "auth_token_" + hex8(seed),
		UUID: seed, Description: "token based credentials", CreatedAt: now}
	return insert(tx, tableAuthMounts, m)
}

// hex8 derives an 8-hex-digit suffix deterministically from a random seed
// chosen by the proposer.
func hex8(seed string) string {
	const digits = "0123456789abcdef"
	var h uint32 = 2166136261
	for i := 0; i < len(seed); i++ {
		h = (h ^ uint32(seed[i])) * 16777619
	}
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i] = digits[h&0xf]
		h >>= 4
	}
	return string(b)
}

// EnableAuth mounts an auth method. The proposer draws the accessor; a
// collision (or a taken path) is refused here so the check is exact.
type EnableAuth struct {
	Mount AuthMount
}

func applyEnableAuth(tx *txn, env Env, cmd *EnableAuth) (any, error) {
	m := cmd.Mount
	for _, existing := range all[AuthMount](tx, tableAuthMounts, "id") {
		if strings.HasPrefix(existing.Path, m.Path) || strings.HasPrefix(m.Path, existing.Path) {
			return nil, iamerr.New(iamerr.Invalid, "path is already in use at %s", existing.Path)
		}
	}
	if first[AuthMount](tx, tableAuthMounts, "accessor", m.Accessor) != nil {
		return nil, iamerr.New(iamerr.Conflict, "accessor collision, retry")
	}
	if err := insert(tx, tableAuthMounts, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// DisableAuth unmounts an auth method; the token mount cannot be removed.
type DisableAuth struct {
	Path string
}

func applyDisableAuth(tx *txn, env Env, cmd *DisableAuth) (any, error) {
	m := first[AuthMount](tx, tableAuthMounts, "id", cmd.Path)
	if m == nil {
		return nil, nil // Vault answers 204 for a missing mount
	}
	if m.Type == "token" {
		return nil, iamerr.New(iamerr.Invalid, "token credential backend cannot be disabled")
	}
	if user := mountUsers(tx, m.Accessor); user != "" {
		return nil, iamerr.New(iamerr.Conflict, "auth method %s is still referenced by %s", m.Path, user)
	}
	for _, h := range mountCleanups {
		if err := h(tx, m); err != nil {
			return nil, err
		}
	}
	return nil, tx.Delete(tableAuthMounts, m)
}

// mountReferences lets other tables refuse the removal of a mount they
// depend on (an enforcement naming its accessor). Each returns a
// description of the referencing object, or "".
var mountReferences []func(tx *txn, accessor string) string

// mountCleanups delete rows that belong to a mount being disabled (its
// users, its aliases).
var mountCleanups []func(tx *txn, m *AuthMount) error

func mountUsers(tx *txn, accessor string) string {
	for _, ref := range mountReferences {
		if who := ref(tx, accessor); who != "" {
			return who
		}
	}
	return ""
}

// TuneAuth replaces a mount's config and description.
type TuneAuth struct {
	Path        string
	Config      MountConfig
	Description *string
}

func applyTuneAuth(tx *txn, env Env, cmd *TuneAuth) (any, error) {
	m := first[AuthMount](tx, tableAuthMounts, "id", cmd.Path)
	if m == nil {
		return nil, iamerr.New(iamerr.Invalid, "cannot fetch mount entry on %q", cmd.Path)
	}
	c := *m
	c.Config = cmd.Config
	if cmd.Description != nil {
		c.Description = *cmd.Description
	}
	if err := insert(tx, tableAuthMounts, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// AuthMount returns the mount at path (with trailing "/"), or nil.
func (s *State) AuthMount(path string) *AuthMount {
	return first[AuthMount](s.tx, tableAuthMounts, "id", path)
}

// AuthMountByAccessor returns the mount with the given accessor, or nil.
func (s *State) AuthMountByAccessor(accessor string) *AuthMount {
	return first[AuthMount](s.tx, tableAuthMounts, "accessor", accessor)
}

// AuthMounts returns every mount in path order.
func (s *State) AuthMounts() []*AuthMount { return all[AuthMount](s.tx, tableAuthMounts, "id") }

// AuthMountsOfType returns the mounts of one type.
func (s *State) AuthMountsOfType(typ string) []*AuthMount {
	return all[AuthMount](s.tx, tableAuthMounts, "type", typ)
}
