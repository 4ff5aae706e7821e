package vault

import (
	"iamd/fsm"
	"iamd/server"
)

// sys/security/password-policy: the account password policy in the Vault
// dialect (the same one AWS Update/Get/DeleteAccountPasswordPolicy manage).
//
//	POST {minimum_password_length, require_symbols, require_numbers,
//	      require_uppercase_characters, require_lowercase_characters,
//	      max_password_age, password_reuse_prevention, lockout_threshold,
//	      lockout_minutes}  (full replacement)

func (a *API) passwordPolicyRoutes() []Route {
	return []Route{{Pattern: "sys/security/password-policy", Ops: ops{
		server.OpRead: a.readPasswordPolicy, server.OpUpdate: a.writePasswordPolicy,
		server.OpDelete: a.deletePasswordPolicy,
	}}}
}

func passwordPolicyData(p *fsm.PasswordPolicy) map[string]any {
	return map[string]any{
		"minimum_password_length": p.MinimumPasswordLength, "require_symbols": p.RequireSymbols,
		"require_numbers": p.RequireNumbers, "require_uppercase_characters": p.RequireUppercaseCharacters,
		"require_lowercase_characters": p.RequireLowercaseCharacters, "max_password_age": p.MaxPasswordAge,
		"password_reuse_prevention": p.PasswordReusePrevention, "lockout_threshold": p.LockoutThreshold,
		"lockout_minutes": p.LockoutMinutes,
	}
}

func (a *API) readPasswordPolicy(r *Request) (*Response, error) {
	p, err := a.node.PasswordPolicy("")
	if err != nil {
		return nil, err
	}
	return &Response{Data: passwordPolicyData(p)}, nil
}

func (a *API) writePasswordPolicy(r *Request) (*Response, error) {
	var p fsm.PasswordPolicy
	ints := map[string]*int{
		"minimum_password_length": &p.MinimumPasswordLength, "max_password_age": &p.MaxPasswordAge,
		"password_reuse_prevention": &p.PasswordReusePrevention, "lockout_threshold": &p.LockoutThreshold,
		"lockout_minutes": &p.LockoutMinutes,
	}
	for k, dst := range ints {
		v, err := r.Int(k, 0)
		if err != nil {
			return nil, err
		}
		*dst = v
	}
	bools := map[string]*bool{
		"require_symbols": &p.RequireSymbols, "require_numbers": &p.RequireNumbers,
		"require_uppercase_characters": &p.RequireUppercaseCharacters,
		"require_lowercase_characters": &p.RequireLowercaseCharacters,
	}
	for k, dst := range bools {
		v, err := r.Bool(k, false)
		if err != nil {
			return nil, err
		}
		*dst = v
	}
	out, err := a.node.PutPasswordPolicy(r.Context, p)
	if err != nil {
		return nil, err
	}
	return &Response{Data: passwordPolicyData(out)}, nil
}

func (a *API) deletePasswordPolicy(r *Request) (*Response, error) {
	return nil, a.node.DeletePasswordPolicy(r.Context, "")
}
