package vault

import (
	"strings"
)

// sys/locked-users (Vault 1.13+ api-docs system/user-lockout): the users
// locked by failed logins, by namespace and mount, and their release.

func (a *API) lockedUsers(r *Request) (*Response, error) {
	accessor, err := r.String("mount_accessor", "")
	if err != nil {
		return nil, err
	}
	total := 0
	mounts := []map[string]any{}
	for _, m := range a.node.LockedUsers(accessor) {
		total += len(m.Users)
		mounts = append(mounts, map[string]any{"mount_accessor": m.Accessor, "counts": len(m.Users), "alias_identifiers": m.Users})
	}
	byNamespace := []map[string]any{}
	if total > 0 {
		byNamespace = append(byNamespace, map[string]any{
			"namespace_id": rootNamespace, "namespace_path": "", "counts": total, "mount_accessors": mounts,
		})
	}
	return &Response{Data: map[string]any{"by_namespace": byNamespace, "total": total}}, nil
}

func (a *API) unlockUser(r *Request) (*Response, error) {
	accessor, alias := r.Param("accessor"), strings.ToLower(r.Param("alias"))
	if accessor == "" {
		return nil, invalidf("missing mount_accessor")
	}
	if alias == "" {
		return nil, invalidf("missing alias_identifier")
	}
	return nil, a.node.UnlockUser(r.Context, accessor, alias)
}
