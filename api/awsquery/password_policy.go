package awsquery

import (
	"iamd/fsm"
)

// UpdateAccountPasswordPolicy, GetAccountPasswordPolicy and
// DeleteAccountPasswordPolicy (docs/account-security.md). iamd's floor for
// MinimumPasswordLength is 8 (AWS: 6); LockoutThreshold and LockoutMinutes
// are iamd extensions (defaults 5 and 5).

func init() {
	registerAction("UpdateAccountPasswordPolicy", updateAccountPasswordPolicy)
	registerAction("GetAccountPasswordPolicy", getAccountPasswordPolicy)
	registerAction("DeleteAccountPasswordPolicy", deleteAccountPasswordPolicy)
}

type passwordPolicyXML struct {
	MinimumPasswordLength      int  `xml:"MinimumPasswordLength"`
	RequireSymbols             bool `xml:"RequireSymbols"`
	RequireNumbers             bool `xml:"RequireNumbers"`
	RequireUppercaseCharacters bool `xml:"RequireUppercaseCharacters"`
	RequireLowercaseCharacters bool `xml:"RequireLowercaseCharacters"`
	AllowUsersToChangePassword bool `xml:"AllowUsersToChangePassword"`
	ExpirePasswords            bool `xml:"ExpirePasswords"`
	MaxPasswordAge             int  `xml:"MaxPasswordAge,omitempty"`
	PasswordReusePrevention    int  `xml:"PasswordReusePrevention,omitempty"`
	HardExpiry                 bool `xml:"HardExpiry"`
	LockoutThreshold           int  `xml:"LockoutThreshold"`
	LockoutMinutes             int  `xml:"LockoutMinutes"`
}

type getAccountPasswordPolicyResult struct {
	PasswordPolicy passwordPolicyXML `xml:"PasswordPolicy"`
}

func updateAccountPasswordPolicy(r *Request) (any, error) {
	p := r.Params
	pol := fsm.PasswordPolicy{
		AccountID:                  r.Caller.AccountID,
		MinimumPasswordLength:      p.Int("MinimumPasswordLength", 8, 128, 8),
		RequireSymbols:             p.Bool("RequireSymbols", false),
		RequireNumbers:             p.Bool("RequireNumbers", false),
		RequireUppercaseCharacters: p.Bool("RequireUppercaseCharacters", false),
		RequireLowercaseCharacters: p.Bool("RequireLowercaseCharacters", false),
		AllowUsersToChangePassword: p.Bool("AllowUsersToChangePassword", false),
		MaxPasswordAge:             p.Int("MaxPasswordAge", 1, 1095, 0),
		PasswordReusePrevention:    p.Int("PasswordReusePrevention", 1, 24, 0),
		HardExpiry:                 p.Bool("HardExpiry", false),
		LockoutThreshold:           p.Int("LockoutThreshold", 1, 100, 0),
		LockoutMinutes:             p.Int("LockoutMinutes", 1, 1440, 0),
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := r.Node.AuthorizeIAM(r.Caller, "iam:UpdateAccountPasswordPolicy", "*"); err != nil {
		return nil, err
	}
	_, err := r.Node.PutPasswordPolicy(r.Ctx, pol)
	return nil, err
}

func getAccountPasswordPolicy(r *Request) (any, error) {
	if err := r.Node.AuthorizeIAM(r.Caller, "iam:GetAccountPasswordPolicy", "*"); err != nil {
		return nil, err
	}
	pol, err := r.Node.PasswordPolicy(r.Caller.AccountID)
	if err != nil {
		return nil, err
	}
	return getAccountPasswordPolicyResult{PasswordPolicy: passwordPolicyXML{
		MinimumPasswordLength: pol.MinimumPasswordLength, RequireSymbols: pol.RequireSymbols,
		RequireNumbers: pol.RequireNumbers, RequireUppercaseCharacters: pol.RequireUppercaseCharacters,
		RequireLowercaseCharacters: pol.RequireLowercaseCharacters, AllowUsersToChangePassword: pol.AllowUsersToChangePassword,
		ExpirePasswords: pol.MaxPasswordAge > 0, MaxPasswordAge: pol.MaxPasswordAge,
		PasswordReusePrevention: pol.PasswordReusePrevention, HardExpiry: pol.HardExpiry,
		LockoutThreshold: pol.LockoutThreshold, LockoutMinutes: pol.LockoutMinutes,
	}}, nil
}

func deleteAccountPasswordPolicy(r *Request) (any, error) {
	if err := r.Node.AuthorizeIAM(r.Caller, "iam:DeleteAccountPasswordPolicy", "*"); err != nil {
		return nil, err
	}
	return nil, r.Node.DeletePasswordPolicy(r.Ctx, r.Caller.AccountID)
}
