package server

import (
	"iamd/fsm"
	"iamd/server/acl"
)

// identityPolicies returns the policies an entity gets from itself and its
// groups. Entities carry no policies until the identity store holds them;
// this is the one place that changes when it does.
func (n *Node) identityPolicies(entityID string) []string {
	return nil
}

// templateResolver fills {{identity.entity.*}} in templated policy paths.
func (n *Node) templateResolver(st *fsm.State, entityID string) acl.Resolver {
	if entityID == "" {
		return nil
	}
	return (&acl.Entity{ID: entityID}).Resolve
}
