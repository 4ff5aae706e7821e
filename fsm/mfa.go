package fsm

import (
	"github.com/hashicorp/go-memdb"

	"iamd/iamerr"
)

// Login MFA configuration (spec/vault.md §5.1-5.2): MFA methods and login
// enforcements. Checks follow Vault's handleMFAMethodWriteCommon,
// handleMFALoginEnforcementUpdate and deleteMFAConfigByMethodID, in their
// order and with their messages.

// MFAMethod is a login MFA method. Only TOTP exists for now; Type keeps the
// table open to others. Name is optional and unique when set.
type MFAMethod struct {
	ID   string
	Name string
	Type string // "totp"
	TOTP TOTPSettings
}

// TOTPSettings are a TOTP method's parameters, already validated.
type TOTPSettings struct {
	Issuer                string
	Period                int // seconds
	Digits                int
	Skew                  int
	KeySize               int // bytes
	QRSize                int // pixels; 0 = no barcode
	Algorithm             string
	MaxValidationAttempts int
	// SelfEnrollment lets a user without a secret enrol during a login
	// the method blocks (iamd extension, Vault issue 17441).
	SelfEnrollment bool
}

// LoginEnforcement says which logins need MFA: any listed method satisfies
// it (OR); it matches a login through a listed mount accessor or type, or
// by a listed entity or a member of a listed group.
type LoginEnforcement struct {
	Name                string
	ID                  string
	MFAMethodIDs        []string
	AuthMethodAccessors []string
	AuthMethodTypes     []string
	IdentityGroupIDs    []string
	IdentityEntityIDs   []string
}

const (
	tableMFAMethods        = "mfa_methods"
	tableLoginEnforcements = "mfa_login_enforcements"
)

const (
	CmdPutMFAMethod           CommandType = 110
	CmdDeleteMFAMethod        CommandType = 111
	CmdPutLoginEnforcement    CommandType = 112
	CmdDeleteLoginEnforcement CommandType = 113
)

func init() {
	registerTable[MFAMethod](&memdb.TableSchema{
		Name: tableMFAMethods,
		Indexes: map[string]*memdb.IndexSchema{
			"id":   idIndex("ID"),
			"name": uniqueIndex("name", "Name", false),
			"type": plainIndex("type", "Type"),
		},
	})
	registerTable[LoginEnforcement](&memdb.TableSchema{
		Name: tableLoginEnforcements,
		Indexes: map[string]*memdb.IndexSchema{
			"id":       idIndex("Name"),
			"uuid":     uniqueIndex("uuid", "ID", false),
			"method":   sliceIndex("method", "MFAMethodIDs"),
			"accessor": sliceIndex("accessor", "AuthMethodAccessors"),
		},
	})
	register(CmdPutMFAMethod, "put-mfa-method", applyPutMFAMethod)
	register(CmdDeleteMFAMethod, "delete-mfa-method", applyDeleteMFAMethod)
	register(CmdPutLoginEnforcement, "put-login-enforcement", applyPutLoginEnforcement)
	register(CmdDeleteLoginEnforcement, "delete-login-enforcement", applyDeleteLoginEnforcement)
	// An auth mount named by an enforcement cannot be disabled under it.
	mountReferences = append(mountReferences, func(tx *txn, accessor string) string {
		if e := first[LoginEnforcement](tx, tableLoginEnforcements, "accessor", accessor); e != nil {
			return "login enforcement " + e.Name
		}
		return ""
	})
}

// CheckMFAMethodName refuses a method name held by another method than id
// ("" for a new method). Apply decides; the server also calls it on its read
// state so the clash is reported before field errors, in Vault's order.
func CheckMFAMethodName(s *State, id, name string) error {
	if name == "" {
		return nil
	}
	if other := first[MFAMethod](s.tx, tableMFAMethods, "name", name); other != nil && other.ID != id {
		return iamerr.New(iamerr.Invalid, "a login MFA method configuration with the method name %s already exists", name)
	}
	return nil
}

// PutMFAMethod creates a method (Create) or replaces one. On update an
// empty Name keeps the current name.
type PutMFAMethod struct {
	Method MFAMethod
	Create bool
}

func applyPutMFAMethod(tx *txn, env Env, cmd *PutMFAMethod) (any, error) {
	m := cmd.Method
	cur := first[MFAMethod](tx, tableMFAMethods, "id", m.ID)
	switch {
	case cmd.Create && cur != nil:
		return nil, errGeneratedCollision("method ID")
	case !cmd.Create && cur == nil:
		return nil, iamerr.New(iamerr.NotFound, "")
	case !cmd.Create && cur.Type != m.Type:
		return nil, iamerr.New(iamerr.Invalid, "failed to find the method ID under MFA type %s.", m.Type)
	}
	if err := CheckMFAMethodName(stateOf(tx), m.ID, m.Name); err != nil {
		return nil, err
	}
	if !cmd.Create && m.Name == "" {
		m.Name = cur.Name
	}
	if err := insert(tx, tableMFAMethods, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// DeleteMFAMethod deletes a method of the given type and every entity's
// key for it. A method still named by an enforcement stays.
type DeleteMFAMethod struct {
	ID   string
	Type string
}

// ErrCodeMethodInUse marks the refusal to delete a method an enforcement
// uses; Vault reports it as a server error, not a bad request.
const ErrCodeMethodInUse = "mfa_method_in_use"

func applyDeleteMFAMethod(tx *txn, env Env, cmd *DeleteMFAMethod) (any, error) {
	if e := first[LoginEnforcement](tx, tableLoginEnforcements, "method", cmd.ID); e != nil {
		return nil, iamerr.WithCode(iamerr.Conflict, ErrCodeMethodInUse,
			"methodID is still used by an enforcement configuration with ID: %s", e.ID)
	}
	m := first[MFAMethod](tx, tableMFAMethods, "id", cmd.ID)
	if m == nil {
		return nil, nil
	}
	if m.Type != cmd.Type {
		return nil, iamerr.New(iamerr.Internal, "method type does not match the MFA config type")
	}
	for _, e := range all[Entity](tx, tableEntities, "id") {
		if _, ok := e.MFASecrets[m.ID]; !ok {
			continue
		}
		c := *e
		c.MFASecrets = make(map[string][]byte, len(e.MFASecrets))
		for k, v := range e.MFASecrets {
			if k != m.ID {
				c.MFASecrets[k] = v
			}
		}
		if err := insert(tx, tableEntities, &c); err != nil {
			return nil, err
		}
	}
	if err := deleteTOTPUsage(tx, "method", m.ID); err != nil {
		return nil, err
	}
	return nil, tx.Delete(tableMFAMethods, m)
}

// PutLoginEnforcement creates or updates the enforcement Name. The method
// list is required; the other lists replace the stored ones only when
// supplied (non-nil).
type PutLoginEnforcement struct {
	Name                string
	NewID               string // ID of a new enforcement, drawn by the proposer
	MFAMethodIDs        *[]string
	AuthMethodAccessors *[]string
	AuthMethodTypes     *[]string
	IdentityGroupIDs    *[]string
	IdentityEntityIDs   *[]string
}

func applyPutLoginEnforcement(tx *txn, env Env, cmd *PutLoginEnforcement) (any, error) {
	if cmd.Name == "" {
		return nil, identityErr("missing enforcement name")
	}
	cur := first[LoginEnforcement](tx, tableLoginEnforcements, "id", cmd.Name)
	e := LoginEnforcement{Name: cmd.Name, ID: cmd.NewID}
	if cur != nil {
		e = *cur
	}
	if cmd.MFAMethodIDs == nil || len(*cmd.MFAMethodIDs) == 0 {
		return nil, identityErr("missing method ids")
	}
	for _, id := range *cmd.MFAMethodIDs {
		if first[MFAMethod](tx, tableMFAMethods, "id", id) == nil {
			return nil, identityErr("one of the provided method ids doesn't exist")
		}
	}
	e.MFAMethodIDs = *cmd.MFAMethodIDs
	targets := []struct {
		list   *[]string
		dst    *[]string
		exists func(string) bool
		msg    string
	}{
		{cmd.AuthMethodAccessors, &e.AuthMethodAccessors, func(a string) bool {
			return first[AuthMount](tx, tableAuthMounts, "accessor", a) != nil
		}, "one of the auth method accessors provided is invalid"},
		{cmd.AuthMethodTypes, &e.AuthMethodTypes, func(t string) bool {
			return first[AuthMount](tx, tableAuthMounts, "type", t) != nil
		}, "one of the auth method types provided is invalid"},
		{cmd.IdentityGroupIDs, &e.IdentityGroupIDs, func(id string) bool {
			return first[IdentityGroup](tx, tableIdentityGroups, "id", id) != nil
		}, "one of the provided group ids doesn't exist"},
		{cmd.IdentityEntityIDs, &e.IdentityEntityIDs, func(id string) bool {
			return first[Entity](tx, tableEntities, "id", id) != nil
		}, "one of the provided entity ids doesn't exist"},
	}
	supplied := false
	for _, t := range targets {
		if t.list == nil {
			continue
		}
		for _, v := range *t.list {
			if !t.exists(v) {
				return nil, identityErr("%s", t.msg)
			}
		}
		*t.dst = *t.list
		supplied = true
	}
	// Vault asks for one of the four in the request; an enforcement whose
	// four lists all end up empty would match nothing, so iamd refuses
	// that too, with the same message.
	if !supplied || len(e.AuthMethodAccessors)+len(e.AuthMethodTypes)+len(e.IdentityGroupIDs)+len(e.IdentityEntityIDs) == 0 {
		return nil, identityErr("One of auth_method_accessors, auth_method_types, identity_group_ids, identity_entity_ids must be specified")
	}
	if cur == nil && first[LoginEnforcement](tx, tableLoginEnforcements, "uuid", e.ID) != nil {
		return nil, errGeneratedCollision("enforcement ID")
	}
	if err := insert(tx, tableLoginEnforcements, &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// DeleteLoginEnforcement deletes an enforcement; a missing one is not an
// error (Vault answers 204 either way).
type DeleteLoginEnforcement struct {
	Name string
}

func applyDeleteLoginEnforcement(tx *txn, env Env, cmd *DeleteLoginEnforcement) (any, error) {
	e := first[LoginEnforcement](tx, tableLoginEnforcements, "id", cmd.Name)
	if e == nil {
		return nil, nil
	}
	return nil, tx.Delete(tableLoginEnforcements, e)
}

// MFAMethod returns the method with the given ID, or nil.
func (s *State) MFAMethod(id string) *MFAMethod {
	return first[MFAMethod](s.tx, tableMFAMethods, "id", id)
}

// MFAMethodByName returns the method with the given name, or nil.
func (s *State) MFAMethodByName(name string) *MFAMethod {
	if name == "" {
		return nil
	}
	return first[MFAMethod](s.tx, tableMFAMethods, "name", name)
}

// MFAMethods returns the methods of one type ("" for all) in ID order.
func (s *State) MFAMethods(typ string) []*MFAMethod {
	if typ == "" {
		return all[MFAMethod](s.tx, tableMFAMethods, "id")
	}
	return all[MFAMethod](s.tx, tableMFAMethods, "type", typ)
}

// LoginEnforcement returns the enforcement with the given name, or nil.
func (s *State) LoginEnforcement(name string) *LoginEnforcement {
	return first[LoginEnforcement](s.tx, tableLoginEnforcements, "id", name)
}

// LoginEnforcements returns every enforcement in name order.
func (s *State) LoginEnforcements() []*LoginEnforcement {
	return all[LoginEnforcement](s.tx, tableLoginEnforcements, "id")
}
