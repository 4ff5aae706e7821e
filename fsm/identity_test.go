package fsm

import (
	"strings"
	"testing"
	"time"

	"iamd/iamerr"
)

var idTime = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// identityFixture applies commands in order and fails the test on the
// first error; index counts the log entries.
type identityFixture struct {
	t     *testing.T
	f     *FSM
	index uint64
}

func newIdentityFixture(t *testing.T) *identityFixture {
	x := &identityFixture{t: t, f: New()}
	x.ok(CmdEnableAuth, EnableAuth{Mount: AuthMount{Path: "userpass/", Type: "userpass", Accessor: "auth_userpass_11111111", CreatedAt: idTime}})
	x.ok(CmdEnableAuth, EnableAuth{Mount: AuthMount{Path: "ldap/", Type: "userpass", Accessor: "auth_userpass_22222222", CreatedAt: idTime}})
	return x
}

func (x *identityFixture) run(ct CommandType, cmd any) *Result {
	x.t.Helper()
	x.index++
	return applyCmd(x.t, x.f, x.index, ct, cmd)
}

func (x *identityFixture) ok(ct CommandType, cmd any) any {
	x.t.Helper()
	res := x.run(ct, cmd)
	if res.Err != nil {
		x.t.Fatalf("command %d: %v", ct, res.Err)
	}
	return res.Value
}

// fails applies cmd, expects the exact message, and checks the state did
// not change.
func (x *identityFixture) fails(ct CommandType, cmd any, msg string) {
	x.t.Helper()
	before := x.f.Digest()
	res := x.run(ct, cmd)
	if res.Err == nil || res.Err.Error() != msg {
		x.t.Fatalf("command %d: got error %v, want %q", ct, res.Err, msg)
	}
	if x.f.Digest() != before {
		x.t.Fatalf("command %d failed but changed the state", ct)
	}
}

func strs(s ...string) *[]string { return &s }

func (x *identityFixture) entity(id, name string) {
	x.t.Helper()
	x.ok(CmdUpsertEntity, UpsertEntity{Name: name, NewID: id, NewName: "entity_x", Time: idTime})
}

func (x *identityFixture) group(id, name string, members ...string) {
	x.t.Helper()
	x.ok(CmdUpsertIdentityGroup, UpsertIdentityGroup{ByName: true, Name: name, NewID: id, MemberGroupIDs: strs(members...), Time: idTime})
}

func TestIdentityAndMFASnapshotRoundTrip(t *testing.T) {
	x := newIdentityFixture(t)
	x.entity("e1", "alice")
	x.ok(CmdUpsertEntity, UpsertEntity{ID: "e1", Metadata: &StringMap{"team": "a"}, Policies: strs("dev"), Time: idTime})
	x.ok(CmdUpsertEntityAlias, UpsertEntityAlias{Name: "alice", MountAccessor: "auth_userpass_11111111", CanonicalID: "e1", NewID: "a1", Time: idTime})
	x.ok(CmdUpsertIdentityGroup, UpsertIdentityGroup{Name: "devs", ByName: true, NewID: "g1", MemberEntityIDs: strs("e1"), Time: idTime})
	x.group("g2", "eng", "g1")
	method := MFAMethod{ID: "m1", Name: "corp", Type: "totp", TOTP: TOTPSettings{Issuer: "iamd", Period: 30, Digits: 6, Skew: 1, KeySize: 20, QRSize: 200, Algorithm: "SHA1", MaxValidationAttempts: 5}}
	x.ok(CmdPutMFAMethod, PutMFAMethod{Method: method, Create: true})
	x.ok(CmdPutLoginEnforcement, PutLoginEnforcement{Name: "all", NewID: "enf1", MFAMethodIDs: strs("m1"),
		AuthMethodAccessors: strs("auth_userpass_11111111"), IdentityGroupIDs: strs("g2")})

	g := restoredCopy(t, x.f)
	if g.Digest() != x.f.Digest() {
		t.Fatal("identity and MFA state after restore differs from state before")
	}
	st := g.State()
	if e := st.EntityByName("ALICE"); e == nil || e.Metadata["team"] != "a" || e.Policies[0] != "dev" {
		t.Fatalf("entity after restore: %+v", e)
	}
	if a := st.EntityAliasByFactors("auth_userpass_11111111", "alice"); a == nil || a.CanonicalID != "e1" {
		t.Fatalf("alias after restore: %+v", a)
	}
	direct, inherited := st.EntityGroups("e1")
	if len(direct) != 1 || direct[0].ID != "g1" || len(inherited) != 1 || inherited[0].ID != "g2" {
		t.Fatalf("groups after restore: %v %v", direct, inherited)
	}
	if m := st.MFAMethodByName("corp"); m == nil || m.TOTP != method.TOTP {
		t.Fatalf("method after restore: %+v", m)
	}
	if e := st.LoginEnforcement("all"); e == nil || e.ID != "enf1" || e.IdentityGroupIDs[0] != "g2" {
		t.Fatalf("enforcement after restore: %+v", e)
	}
}

func TestEntityNamesAndAliasesAreUnique(t *testing.T) {
	x := newIdentityFixture(t)
	x.entity("e1", "alice")
	x.entity("e2", "bob")
	// A create naming an existing entity (any case) updates it.
	res := x.ok(CmdUpsertEntity, UpsertEntity{Name: "ALICE", NewID: "e3", Disabled: new(bool), Time: idTime}).(*EntityWrite)
	if res.Created || res.Entity.ID != "e1" || x.f.State().Entity("e3") != nil {
		t.Fatalf("create by existing name: %+v", res)
	}
	x.fails(CmdUpsertEntity, UpsertEntity{ID: "e2", Name: "Alice", Time: idTime}, "entity name is already in use")
	x.fails(CmdUpsertEntity, UpsertEntity{ID: "nope", Time: idTime}, "entity not found from id")
	x.fails(CmdUpsertEntity, UpsertEntity{ID: "e2", Policies: strs("a", "Root"), Time: idTime}, "policies cannot contain root")

	x.ok(CmdUpsertEntityAlias, UpsertEntityAlias{Name: "alice", MountAccessor: "auth_userpass_11111111", CanonicalID: "e1", NewID: "a1", Time: idTime})
	x.fails(CmdUpsertEntityAlias, UpsertEntityAlias{Name: "alice2", MountAccessor: "auth_userpass_11111111", CanonicalID: "e1", NewID: "a2", Time: idTime},
		"Alias already exists for requested entity and mount accessor")
	x.fails(CmdUpsertEntityAlias, UpsertEntityAlias{Name: "x", MountAccessor: "auth_nope", NewID: "a2", Time: idTime}, `invalid mount accessor "auth_nope"`)
	x.fails(CmdUpsertEntityAlias, UpsertEntityAlias{Name: "x", MountAccessor: "auth_userpass_11111111", CanonicalID: "nope", NewID: "a2", Time: idTime}, "invalid canonical ID")
	x.fails(CmdUpsertEntityAlias, UpsertEntityAlias{Name: "x", NewID: "a2", Time: idTime}, "'id' or 'mount_accessor' and 'name' must be provided")
	x.ok(CmdUpsertEntityAlias, UpsertEntityAlias{Name: "bob", MountAccessor: "auth_userpass_11111111", CanonicalID: "e2", NewID: "a2", Time: idTime})
	x.fails(CmdUpsertEntityAlias, UpsertEntityAlias{ID: "a2", Name: "alice", Time: idTime}, "alias with combination of mount accessor and name already exists")
	// The same factors again select the existing alias: moving it to an
	// entity that already has an alias on the mount is refused.
	x.fails(CmdUpsertEntityAlias, UpsertEntityAlias{Name: "alice", MountAccessor: "auth_userpass_11111111", CanonicalID: "e2", Time: idTime},
		"Alias cannot be updated as the given entity already has an alias for this mount ")
	// No canonical ID: a new entity is created for the alias.
	w := x.ok(CmdUpsertEntityAlias, UpsertEntityAlias{Name: "carol", MountAccessor: "auth_userpass_22222222", NewID: "a3", NewEntityID: "e9", NewEntityName: "entity_99", Time: idTime}).(*AliasWrite)
	if w.Alias.CanonicalID != "e9" || x.f.State().EntityByName("entity_99") == nil {
		t.Fatalf("alias without entity: %+v", w.Alias)
	}
	// Disabling a mount deletes its aliases; deleting an entity deletes its.
	x.ok(CmdDisableAuth, DisableAuth{Path: "ldap/"})
	if x.f.State().EntityAlias("a3") != nil {
		t.Fatal("alias outlived its mount")
	}
	x.ok(CmdDeleteEntities, DeleteEntities{IDs: []string{"e1", "e1", "missing"}})
	if x.f.State().EntityAlias("a1") != nil || x.f.State().Entity("e1") != nil {
		t.Fatal("entity delete left rows behind")
	}
}

func TestGroupMembershipInvariants(t *testing.T) {
	x := newIdentityFixture(t)
	x.entity("e1", "alice")
	x.group("g1", "a")
	x.group("g2", "b", "g1")
	x.group("g3", "c", "g2")
	x.fails(CmdUpsertIdentityGroup, UpsertIdentityGroup{ID: "g1", MemberGroupIDs: strs("g3"), Time: idTime}, `cyclic relationship detected for member group ID "g3"`)
	x.fails(CmdUpsertIdentityGroup, UpsertIdentityGroup{ID: "g1", MemberGroupIDs: strs("g1"), Time: idTime}, `member group ID "g1" is same as the ID of the group`)
	x.fails(CmdUpsertIdentityGroup, UpsertIdentityGroup{ID: "g1", MemberGroupIDs: strs("zz"), Time: idTime}, `invalid member group ID "zz"`)
	x.fails(CmdUpsertIdentityGroup, UpsertIdentityGroup{ID: "g1", MemberEntityIDs: strs("zz"), Time: idTime}, `invalid entity ID "zz"`)
	x.fails(CmdUpsertIdentityGroup, UpsertIdentityGroup{ID: "g1", Name: "B", Time: idTime}, "group name is already in use")
	x.fails(CmdUpsertIdentityGroup, UpsertIdentityGroup{ID: "g1", Type: new(string), Time: idTime}, "group type cannot be changed")
	ext := IdentityGroupExternal
	x.fails(CmdUpsertIdentityGroup, UpsertIdentityGroup{Name: "ext", NewID: "g4", Type: &ext, MemberEntityIDs: strs("e1"), Time: idTime},
		"member entities can't be set manually for external groups")
	x.fails(CmdUpsertIdentityGroup, UpsertIdentityGroup{ID: "nope", Time: idTime}, "invalid group ID")

	x.ok(CmdUpsertIdentityGroup, UpsertIdentityGroup{ID: "g1", MemberEntityIDs: strs("e1"), Time: idTime})
	if p := x.f.State().IdentityGroupParents("g1"); len(p) != 1 || p[0].ID != "g2" {
		t.Fatalf("parents of g1: %v", p)
	}
	x.ok(CmdDeleteIdentityGroup, DeleteIdentityGroup{Name: "B"})
	if g := x.f.State().IdentityGroup("g3"); len(g.MemberGroupIDs) != 0 || g.ModifyIndex != 2 {
		t.Fatalf("parent kept a deleted member: %+v", g)
	}
	x.ok(CmdDeleteEntities, DeleteEntities{Name: "alice"})
	if g := x.f.State().IdentityGroup("g1"); len(g.MemberEntityIDs) != 0 {
		t.Fatalf("group kept a deleted entity: %+v", g)
	}
}

// The enforcement checks run in the spec's order (spec/vault.md §5.2): each
// case breaks its own rule and every later one.
func TestEnforcementChecksInSpecOrder(t *testing.T) {
	x := newIdentityFixture(t)
	x.entity("e1", "alice")
	x.group("g1", "a")
	x.ok(CmdPutMFAMethod, PutMFAMethod{Method: MFAMethod{ID: "m1", Type: "totp"}, Create: true})
	cases := []struct {
		cmd PutLoginEnforcement
		msg string
	}{
		{PutLoginEnforcement{Name: "x", MFAMethodIDs: strs(), AuthMethodAccessors: strs("bad")}, "missing method ids"},
		{PutLoginEnforcement{Name: "x", MFAMethodIDs: strs("m1", "zz"), AuthMethodAccessors: strs("bad")}, "one of the provided method ids doesn't exist"},
		{PutLoginEnforcement{Name: "x", MFAMethodIDs: strs("m1"), AuthMethodAccessors: strs("bad"), AuthMethodTypes: strs("bad")}, "one of the auth method accessors provided is invalid"},
		{PutLoginEnforcement{Name: "x", MFAMethodIDs: strs("m1"), AuthMethodTypes: strs("ldap"), IdentityGroupIDs: strs("bad")}, "one of the auth method types provided is invalid"},
		{PutLoginEnforcement{Name: "x", MFAMethodIDs: strs("m1"), IdentityGroupIDs: strs("bad"), IdentityEntityIDs: strs("bad")}, "one of the provided group ids doesn't exist"},
		{PutLoginEnforcement{Name: "x", MFAMethodIDs: strs("m1"), IdentityEntityIDs: strs("bad")}, "one of the provided entity ids doesn't exist"},
		{PutLoginEnforcement{Name: "x", MFAMethodIDs: strs("m1")}, "One of auth_method_accessors, auth_method_types, identity_group_ids, identity_entity_ids must be specified"},
		{PutLoginEnforcement{Name: "x", MFAMethodIDs: strs("m1"), AuthMethodTypes: strs()}, "One of auth_method_accessors, auth_method_types, identity_group_ids, identity_entity_ids must be specified"},
	}
	for _, c := range cases {
		c.cmd.NewID = "enf1"
		x.fails(CmdPutLoginEnforcement, c.cmd, c.msg)
	}
	x.ok(CmdPutLoginEnforcement, PutLoginEnforcement{Name: "x", NewID: "enf1", MFAMethodIDs: strs("m1"),
		AuthMethodAccessors: strs("auth_userpass_11111111"), IdentityEntityIDs: strs("e1")})
	// An update replaces only the lists it supplies.
	x.ok(CmdPutLoginEnforcement, PutLoginEnforcement{Name: "x", NewID: "other", MFAMethodIDs: strs("m1"), AuthMethodTypes: strs("userpass")})
	e := x.f.State().LoginEnforcement("x")
	if e.ID != "enf1" || len(e.AuthMethodAccessors) != 1 || len(e.IdentityEntityIDs) != 1 || e.AuthMethodTypes[0] != "userpass" {
		t.Fatalf("enforcement after update: %+v", e)
	}

	x.fails(CmdDeleteMFAMethod, DeleteMFAMethod{ID: "m1", Type: "totp"}, "methodID is still used by an enforcement configuration with ID: enf1")
	res := x.run(CmdDisableAuth, DisableAuth{Path: "userpass/"})
	if res.Err == nil || !iamerr.Is(res.Err, iamerr.Conflict) || !strings.Contains(res.Err.Error(), "login enforcement x") {
		t.Fatalf("disabling a mount used by an enforcement: %v", res.Err)
	}
	x.ok(CmdDeleteLoginEnforcement, DeleteLoginEnforcement{Name: "x"})
	x.ok(CmdDeleteLoginEnforcement, DeleteLoginEnforcement{Name: "x"})
	x.ok(CmdDeleteMFAMethod, DeleteMFAMethod{ID: "m1", Type: "totp"})
	x.ok(CmdDisableAuth, DisableAuth{Path: "userpass/"})
}

func TestMFAMethodNamesAreUnique(t *testing.T) {
	x := newIdentityFixture(t)
	x.ok(CmdPutMFAMethod, PutMFAMethod{Method: MFAMethod{ID: "m1", Name: "corp", Type: "totp"}, Create: true})
	x.fails(CmdPutMFAMethod, PutMFAMethod{Method: MFAMethod{ID: "m2", Name: "corp", Type: "totp"}, Create: true},
		"a login MFA method configuration with the method name corp already exists")
	x.ok(CmdPutMFAMethod, PutMFAMethod{Method: MFAMethod{ID: "m2", Type: "totp"}, Create: true})
	x.fails(CmdPutMFAMethod, PutMFAMethod{Method: MFAMethod{ID: "m2", Name: "corp", Type: "totp"}},
		"a login MFA method configuration with the method name corp already exists")
	res := x.run(CmdPutMFAMethod, PutMFAMethod{Method: MFAMethod{ID: "m3", Type: "totp"}})
	if !iamerr.Is(res.Err, iamerr.NotFound) {
		t.Fatalf("update of a missing method: %v", res.Err)
	}
	// An update without a name keeps the name.
	x.ok(CmdPutMFAMethod, PutMFAMethod{Method: MFAMethod{ID: "m1", Type: "totp", TOTP: TOTPSettings{Issuer: "new"}}})
	if m := x.f.State().MFAMethod("m1"); m.Name != "corp" || m.TOTP.Issuer != "new" {
		t.Fatalf("method after update: %+v", m)
	}
	// Deleting a method drops every entity's key for it.
	x.entity("e1", "alice")
	secrets := map[string][]byte{"m1": {1}, "m2": {2}}
	// No command writes MFA secrets yet (login MFA comes later): insert directly.
	tx := x.f.store.Load().db.Txn(true)
	e := *x.f.State().Entity("e1")
	e.MFASecrets = secrets
	if err := tx.Insert(tableEntities, &e); err != nil {
		t.Fatal(err)
	}
	tx.Commit()
	x.ok(CmdDeleteMFAMethod, DeleteMFAMethod{ID: "m1", Type: "totp"})
	if got := x.f.State().Entity("e1").MFASecrets; len(got) != 1 || got["m2"] == nil {
		t.Fatalf("secrets after method delete: %v", got)
	}
}
