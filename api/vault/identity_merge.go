package vault

import "iamd/server"

// identity/entity/merge (spec/vault.md §4.1): from_entity_ids into
// to_entity_id; force settles TOTP secret clashes, and
// conflicting_alias_ids_to_keep alias clashes. Answers 204.
func (a *API) mergeEntities(r *Request) (*Response, error) {
	f := fieldsOf(r)
	req := server.MergeEntitiesRequest{ToID: f.str("to_entity_id", "")}
	if p := f.optStrings("from_entity_ids"); p != nil {
		req.FromIDs = *p
	}
	if p := f.optStrings("conflicting_alias_ids_to_keep"); p != nil {
		req.KeepAliasIDs = *p
	}
	if b := f.optBool("force"); b != nil {
		req.Force = *b
	}
	if f.err != nil {
		return nil, f.err
	}
	return nil, a.node.MergeEntities(r.Context, req)
}
