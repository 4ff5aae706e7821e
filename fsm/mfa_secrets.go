package fsm

import (
	"iamd/iamerr"
)

// TOTP enrolment (spec/vault.md §5.1 generate, admin-generate,
// admin-destroy). The secret arrives sealed by the proposer's keyring; the
// clear key never enters the log, the state or a snapshot.

const (
	CmdPutTOTPSecret     CommandType = 130
	CmdDestroyTOTPSecret CommandType = 131
)

func init() {
	register(CmdPutTOTPSecret, "put-totp-secret", applyPutTOTPSecret)
	register(CmdDestroyTOTPSecret, "destroy-totp-secret", applyDestroyTOTPSecret)
}

// PutTOTPSecret gives an entity its secret for a method, unless it has one.
type PutTOTPSecret struct {
	EntityID string
	MethodID string
	Sealed   []byte
}

// TOTPSecretWrite says whether the entity already had a secret (nothing
// was written then).
type TOTPSecretWrite struct {
	Exists     bool
	MethodName string
}

func applyPutTOTPSecret(tx *txn, env Env, cmd *PutTOTPSecret) (any, error) {
	m := first[MFAMethod](tx, tableMFAMethods, "id", cmd.MethodID)
	if m == nil {
		return nil, iamerr.New(iamerr.Invalid, "configuration for method ID %q does not exist", cmd.MethodID)
	}
	e := first[Entity](tx, tableEntities, "id", cmd.EntityID)
	if e == nil {
		return nil, iamerr.New(iamerr.Invalid, "invalid entity ID")
	}
	if e.MFASecrets[cmd.MethodID] != nil {
		return &TOTPSecretWrite{Exists: true, MethodName: m.Name}, nil
	}
	if err := storeSecret(tx, e.ID, m.ID, cmd.Sealed); err != nil {
		return nil, err
	}
	return &TOTPSecretWrite{MethodName: m.Name}, nil
}

// storeSecret sets an entity's secret for a method on a copy of the row.
func storeSecret(tx *txn, entityID, methodID string, sealed []byte) error {
	e := first[Entity](tx, tableEntities, "id", entityID)
	if e == nil {
		return iamerr.New(iamerr.Invalid, "invalid entity ID")
	}
	c := *e
	c.MFASecrets = make(map[string][]byte, len(e.MFASecrets)+1)
	for k, v := range e.MFASecrets {
		c.MFASecrets[k] = v
	}
	if sealed == nil {
		delete(c.MFASecrets, methodID)
	} else {
		c.MFASecrets[methodID] = sealed
	}
	return insert(tx, tableEntities, &c)
}

// DestroyTOTPSecret removes an entity's secret for a method.
type DestroyTOTPSecret struct {
	EntityID string
	MethodID string
}

func applyDestroyTOTPSecret(tx *txn, env Env, cmd *DestroyTOTPSecret) (any, error) {
	if first[Entity](tx, tableEntities, "id", cmd.EntityID) == nil {
		return nil, iamerr.New(iamerr.Invalid, "invalid entity ID")
	}
	m := first[MFAMethod](tx, tableMFAMethods, "id", cmd.MethodID)
	if m == nil {
		return nil, iamerr.New(iamerr.Invalid, "configuration for method ID %q does not exist", cmd.MethodID)
	}
	if m.Type != "totp" {
		return nil, iamerr.New(iamerr.Internal, "method ID does not match TOTP type")
	}
	return nil, storeSecret(tx, cmd.EntityID, cmd.MethodID, nil)
}
