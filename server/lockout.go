package server

import (
	"context"
	"sort"

	"iamd/fsm"
)

// User lockout inspection and release (sys/locked-users).

// LockedMount lists the locked users of one auth mount.
type LockedMount struct {
	Accessor string
	Users    []string
}

// LockedUsers returns the users locked now, by mount, larger mounts first;
// accessor "" means every mount.
func (n *Node) LockedUsers(accessor string) []LockedMount {
	now := n.now()
	by := map[string][]string{}
	for _, l := range n.State().LoginLockouts() {
		if l.Locked(now) && (accessor == "" || l.MountAccessor == accessor) {
			by[l.MountAccessor] = append(by[l.MountAccessor], l.Username)
		}
	}
	out := make([]LockedMount, 0, len(by))
	for acc, users := range by {
		sort.Strings(users)
		out = append(out, LockedMount{Accessor: acc, Users: users})
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i].Users) != len(out[j].Users) {
			return len(out[i].Users) > len(out[j].Users)
		}
		return out[i].Accessor < out[j].Accessor
	})
	return out
}

// UnlockUser releases a locked user and forgets its failures.
func (n *Node) UnlockUser(ctx context.Context, accessor, username string) error {
	_, err := n.apply(ctx, fsm.CmdUnlockUser, fsm.UnlockUser{MountAccessor: accessor, Username: username})
	return err
}
