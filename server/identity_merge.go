package server

import (
	"context"

	"iamd/fsm"
	"iamd/iamerr"
)

// MergeEntitiesRequest is identity/entity/merge's input.
type MergeEntitiesRequest struct {
	ToID         string
	FromIDs      []string
	Force        bool
	KeepAliasIDs []string
}

// MergeEntities merges entities into one; Apply checks everything that
// depends on them (spec/vault.md §4.1).
func (n *Node) MergeEntities(ctx context.Context, req MergeEntitiesRequest) error {
	if req.ToID == "" {
		return iamerr.New(iamerr.Invalid, "missing entity id to merge to")
	}
	if len(req.FromIDs) == 0 {
		return iamerr.New(iamerr.Invalid, "missing entity ids to merge from")
	}
	if err := checkIdentityLists("from_entity_ids", &req.FromIDs, "conflicting_alias_ids_to_keep", &req.KeepAliasIDs); err != nil {
		return err
	}
	_, err := n.apply(ctx, fsm.CmdMergeEntities, fsm.MergeEntities{
		ToID: req.ToID, FromIDs: req.FromIDs, Force: req.Force, KeepAliasIDs: req.KeepAliasIDs, Time: n.now().UTC(),
	})
	return err
}
