package server

import (
	"slices"
	"strings"

	"iamd/fsm"
)

// Session tags and source identity for AssumeRole (IAM User Guide,
// "Pass session tags in AWS STS"). Tags need sts:TagSession and a source
// identity sts:SetSourceIdentity, from the trust policy (and the caller's
// identity policies unless the trust policy names the caller). A session
// inherits its caller's transitive tags, which a request may not set again;
// its own tags then override the role's tags of the same key.

// sessionTags checks what req asks of tags and source identity and returns
// the new session's tags and transitive keys (lower case).
func (n *Node) sessionTags(tc trustCheck, req AssumeRoleRequest) ([]fsm.Tag, []string, error) {
	if err := checkTagKeys(req.Tags); err != nil {
		return nil, nil, err
	}
	keys := make([]string, 0, len(req.Tags))
	for _, t := range req.Tags {
		keys = append(keys, strings.ToLower(t.Key))
	}
	var transitive []string
	for _, k := range req.TransitiveTagKeys {
		k = strings.ToLower(k)
		if !slices.Contains(keys, k) {
			return nil, nil, validationError("The transitive tag key %s is not among the session tags.", k)
		}
		if !slices.Contains(transitive, k) {
			transitive = append(transitive, k)
		}
	}
	inherited := inheritedTags(tc.caller.Session)
	for _, t := range inherited {
		if slices.Contains(keys, strings.ToLower(t.Key)) {
			return nil, nil, validationError("The session tag %s is inherited as transitive from the calling session and cannot be set again.", t.Key)
		}
	}
	denied := func(action string) error {
		return stsDenied("User: %s is not authorized to perform: %s on resource: %s", tc.caller.Arn, action, RoleArn(tc.role))
	}
	if len(req.Tags) > 0 {
		ctx := map[string][]string{"aws:tagkeys": nil}
		for _, t := range req.Tags {
			ctx["aws:requesttag/"+strings.ToLower(t.Key)] = []string{t.Value}
			ctx["aws:tagkeys"] = append(ctx["aws:tagkeys"], t.Key)
		}
		if !n.trustAllows(tc, "sts:TagSession", ctx) {
			return nil, nil, denied("sts:TagSession")
		}
	}
	if req.SourceIdentity != "" {
		ctx := map[string][]string{"sts:sourceidentity": {req.SourceIdentity}}
		if !n.trustAllows(tc, "sts:SetSourceIdentity", ctx) {
			return nil, nil, denied("sts:SetSourceIdentity")
		}
	}
	tags := append(slices.Clone(inherited), req.Tags...)
	for _, t := range inherited {
		transitive = append(transitive, strings.ToLower(t.Key))
	}
	return tags, transitive, nil
}

// inheritedTags are the transitive tags of the session the caller signs
// with, if any.
func inheritedTags(s *SessionInfo) []fsm.Tag {
	if s == nil {
		return nil
	}
	var out []fsm.Tag
	for _, t := range s.Tags {
		if slices.Contains(s.TransitiveKeys, strings.ToLower(t.Key)) {
			out = append(out, t)
		}
	}
	return out
}
