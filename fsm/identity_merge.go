package fsm

import (
	"fmt"
	"slices"
	"time"
)

// Entity merge (identity/entity/merge; Vault's mergeEntity, in its order
// and with its messages). The from entities' aliases, TOTP secrets and
// group memberships move to the target; the from entities are deleted.

const CmdMergeEntities CommandType = 106

func init() {
	register(CmdMergeEntities, "merge-entities", applyMergeEntities)
}

// MergeEntities merges FromIDs into ToID. Force lets a from entity's TOTP
// secret replace the target's for the same method; KeepAliasIDs resolves
// alias clashes (two aliases on one mount).
type MergeEntities struct {
	ToID         string
	FromIDs      []string
	Force        bool
	KeepAliasIDs []string
	Time         time.Time
}

func applyMergeEntities(tx *txn, env Env, cmd *MergeEntities) (any, error) {
	cur := first[Entity](tx, tableEntities, "id", cmd.ToID)
	if cur == nil {
		return nil, identityErr("entity id to merge to is invalid")
	}
	if len(cmd.FromIDs) > 1 && len(cmd.KeepAliasIDs) > 1 {
		return nil, identityErr("aliases conflicts cannot be resolved with multiple from entity ids - merge one entity at a time")
	}
	to := *cur
	to.MFASecrets = map[string][]byte{}
	for k, v := range cur.MFASecrets {
		to.MFASecrets[k] = v
	}
	var from []*Entity
	for _, id := range cmd.FromIDs {
		if id == to.ID {
			return nil, identityErr("to_entity_id should not be present in from_entity_ids")
		}
		e := first[Entity](tx, tableEntities, "id", id)
		if e == nil {
			return nil, identityErr("entity id to merge from is invalid")
		}
		if !slices.ContainsFunc(from, func(f *Entity) bool { return f.ID == id }) {
			from = append(from, e)
		}
	}
	if err := checkMergeAliases(tx, &to, from, cmd.KeepAliasIDs); err != nil {
		return nil, err
	}
	for _, e := range from {
		for methodID, sealed := range e.MFASecrets {
			if _, clash := cur.MFASecrets[methodID]; clash && !cmd.Force {
				return nil, identityErr("conflicting MFA config ID %q in entity ID %q", methodID, e.ID)
			}
			to.MFASecrets[methodID] = sealed
		}
	}
	for _, e := range from {
		if err := mergeOne(tx, &to, e, cmd.KeepAliasIDs, cmd.Time); err != nil {
			return nil, err
		}
	}
	to.LastUpdateTime = cmd.Time
	return nil, insert(tx, tableEntities, &to)
}

// checkMergeAliases refuses, when no resolution was given, aliases of two
// from entities on one mount and aliases of the target and a from entity
// on one mount (all clashes listed).
func checkMergeAliases(tx *txn, to *Entity, from []*Entity, keep []string) error {
	if len(keep) > 0 {
		return nil
	}
	toAliases := all[EntityAlias](tx, tableEntityAliases, "canonical", to.ID)
	owner := map[string]string{}
	var clashes []string
	for _, e := range from {
		for _, fa := range all[EntityAlias](tx, tableEntityAliases, "canonical", e.ID) {
			if id, ok := owner[fa.MountAccessor]; ok && id != e.ID {
				return identityErr("mount accessor %s found in multiple fromEntities, merge should be done with one fromEntity at a time", fa.MountAccessor)
			}
			owner[fa.MountAccessor] = e.ID
			for _, ta := range toAliases {
				if ta.MountAccessor == fa.MountAccessor {
					clashes = append(clashes, fmt.Sprintf("mountAccessor: %s, toEntity ID: %s, fromEntity ID: %s, conflicting toEntity alias ID: %s, conflicting fromEntity alias ID: %s",
						ta.MountAccessor, to.ID, e.ID, ta.ID, fa.ID))
				}
			}
		}
	}
	if len(clashes) > 0 {
		head := "toEntity and at least one fromEntity have aliases with the same mount accessor, repeat the merge request specifying exactly one fromEntity, clashes: "
		return identityErr("%s", multiErrorText(append([]string{head}, clashes...)))
	}
	return nil
}

// mergeOne moves one from entity's aliases and memberships to the target
// and deletes it.
func mergeOne(tx *txn, to, e *Entity, keep []string, now time.Time) error {
	for _, fa := range all[EntityAlias](tx, tableEntityAliases, "canonical", e.ID) {
		dropped := false
		for _, ta := range all[EntityAlias](tx, tableEntityAliases, "canonical", to.ID) {
			if ta.MountAccessor != fa.MountAccessor {
				continue
			}
			switch {
			case slices.Contains(keep, ta.ID):
				if err := tx.Delete(tableEntityAliases, fa); err != nil {
					return err
				}
				dropped = true
			case slices.Contains(keep, fa.ID):
				if err := tx.Delete(tableEntityAliases, ta); err != nil {
					return err
				}
			default:
				return identityErr("conflicting mount accessors in following alias IDs and neither were present in conflicting_alias_ids_to_keep: %s, %s", fa.ID, ta.ID)
			}
		}
		if dropped {
			continue
		}
		moved := *fa
		moved.CanonicalID, moved.LastUpdateTime = to.ID, now
		moved.MergedFromCanonicalIDs = append(slices.Clone(fa.MergedFromCanonicalIDs), e.ID)
		if err := insert(tx, tableEntityAliases, &moved); err != nil {
			return err
		}
	}
	to.MergedEntityIDs = append(append(to.MergedEntityIDs, e.MergedEntityIDs...), e.ID)
	for _, g := range all[IdentityGroup](tx, tableIdentityGroups, "member_entity", e.ID) {
		c := *g
		c.MemberEntityIDs = removeFromList(g.MemberEntityIDs, e.ID)
		if !slices.Contains(c.MemberEntityIDs, to.ID) {
			c.MemberEntityIDs = append(c.MemberEntityIDs, to.ID)
		}
		c.ModifyIndex++
		if err := insert(tx, tableIdentityGroups, &c); err != nil {
			return err
		}
	}
	if err := deleteTOTPUsage(tx, "entity", e.ID); err != nil {
		return err
	}
	return tx.Delete(tableEntities, e)
}
