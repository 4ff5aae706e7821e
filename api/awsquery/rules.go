package awsquery

import (
	"iamd/fsm"
)

// Model constraints shared by several actions (spec §3.2, botocore's IAM
// model). Handlers add .Req() where the parameter is required.
var (
	namePattern = NewPattern(`[\w+=,.@-]+`)

	// NewUserNameRule: CreateUser UserName, UpdateUser NewUserName, role names.
	NewUserNameRule = Rule{Min: 1, Max: 64, Pattern: namePattern}
	// ExistingUserNameRule: a UserName naming an existing user.
	ExistingUserNameRule = Rule{Min: 1, Max: 128, Pattern: namePattern}
	// EntityNameRule: group names, inline and managed policy names.
	EntityNameRule = Rule{Min: 1, Max: 128, Pattern: namePattern}
	// PathRule: Path and NewPath of users, groups, roles, MFA devices.
	PathRule = Rule{Min: 1, Max: 512, Pattern: NewPatternAs(`/|/[\x21-\x7E]+/`, `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`)}
	// PathPrefixRule: ListUsers, ListGroups, ListRoles PathPrefix.
	PathPrefixRule = Rule{Min: 1, Max: 512, Pattern: NewPatternAs(`/[\x21-\x7F]*`, `\u002F[\u0021-\u007F]*`)}
	// MarkerRule: pagination Marker.
	MarkerRule = Rule{Min: 1, Max: 320, Pattern: NewPatternAs(`[\x20-\x{FF}]+`, `[\u0020-\u00FF]+`)}
	// AccessKeyIDRule: AccessKeyId parameters.
	AccessKeyIDRule = Rule{Min: 16, Max: 128, Pattern: NewPattern(`[\w]+`)}
	// StatusRule: UpdateAccessKey and SetUserStatus Status.
	StatusRule = Rule{Enum: []string{"Active", "Inactive"}}

	tagKeyRule   = Rule{Required: true, Min: 1, Max: 128, Pattern: NewPattern(`[\p{L}\p{Z}\p{N}_.:/=+\-@]+`)}
	tagValueRule = Rule{Required: true, Min: 0, Max: 256, Pattern: NewPattern(`[\p{L}\p{Z}\p{N}_.:/=+\-@]*`)}
)

// MaxTags is the most tags one request may carry (and an entity may hold).
const MaxTags = 50

// Tags reads `name.member.N.Key/Value` (TagUser, CreateUser, CreatePolicy…).
// Duplicate keys are a semantic error the server reports (InvalidInput).
func (p *Params) Tags(name string, required bool) []fsm.Tag {
	members, _ := p.Members(name, MaxTags, required)
	tags := make([]fsm.Tag, 0, len(members))
	for _, m := range members {
		tags = append(tags, fsm.Tag{Key: m.String("Key", tagKeyRule), Value: m.String("Value", tagValueRule)})
	}
	return tags
}

// TagKeys reads UntagUser-style `name.member.N` tag keys (`name=` is empty).
func (p *Params) TagKeys(name string) []string {
	keys, _ := p.List(name, Rule{Min: 1, Max: 128, Pattern: tagKeyRule.Pattern}, MaxTags, true)
	return keys
}
