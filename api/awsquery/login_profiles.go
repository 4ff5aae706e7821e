package awsquery

import (
	"regexp"
	"time"
	"unicode/utf8"
)

// Login profile actions and ChangePassword (spec §4.8). Passwords are
// checked against the model (passwordType: 1..128 characters of
// [\u0009\u000A\u000D\u0020-\u00FF]) without echoing them in the message.

func init() {
	registerAction("CreateLoginProfile", createLoginProfile)
	registerAction("GetLoginProfile", getLoginProfile)
	registerAction("UpdateLoginProfile", updateLoginProfile)
	registerAction("DeleteLoginProfile", deleteLoginProfile)
	registerAction("ChangePassword", changePassword)
}

var passwordChars = regexp.MustCompile(`^[\t\n\r\x20-\x{FF}]+$`)

// password returns a password parameter (nil when absent); a value that
// breaks the model is reported with the value hidden.
func password(p *Params, name string, required bool) *string {
	v, ok := p.Raw(name)
	if !ok {
		if required {
			p.fail(name, "", true, "Member must not be null")
		}
		return nil
	}
	if n := utf8.RuneCountInString(v); n < 1 || n > 128 || !utf8.ValidString(v) || !passwordChars.MatchString(v) {
		p.Failf(name, "******", "Member must have length between 1 and 128 and satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+")
	}
	return &v
}

type loginProfileXML struct {
	UserName              string    `xml:"UserName"`
	CreateDate            time.Time `xml:"CreateDate"`
	PasswordResetRequired bool      `xml:"PasswordResetRequired"`
}

type loginProfileResult struct {
	LoginProfile loginProfileXML `xml:"LoginProfile"`
}

func createLoginProfile(r *Request) (any, error) {
	p := r.Params
	name := p.String("UserName", ExistingUserNameRule.Req())
	pw := password(p, "Password", true)
	reset := p.Bool("PasswordResetRequired", false)
	if err := p.Err(); err != nil {
		return nil, err
	}
	lp, err := r.Node.CreateLoginProfile(r.Ctx, r.Caller, name, *pw, reset)
	if err != nil {
		return nil, err
	}
	return loginProfileResult{LoginProfile: loginProfileXML{UserName: name, CreateDate: lp.CreateDate.UTC(),
		PasswordResetRequired: lp.PasswordResetRequired}}, nil
}

func getLoginProfile(r *Request) (any, error) {
	p := r.Params
	name := p.String("UserName", ExistingUserNameRule)
	if err := p.Err(); err != nil {
		return nil, err
	}
	u, lp, err := r.Node.GetLoginProfile(r.Caller, name)
	if err != nil {
		return nil, err
	}
	return loginProfileResult{LoginProfile: loginProfileXML{UserName: u.UserName, CreateDate: lp.CreateDate.UTC(),
		PasswordResetRequired: lp.PasswordResetRequired}}, nil
}

func updateLoginProfile(r *Request) (any, error) {
	p := r.Params
	name := p.String("UserName", ExistingUserNameRule.Req())
	pw := password(p, "Password", false)
	var reset *bool
	if p.Has("PasswordResetRequired") {
		v := p.Bool("PasswordResetRequired", false)
		reset = &v
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return nil, r.Node.UpdateLoginProfile(r.Ctx, r.Caller, name, pw, reset)
}

func deleteLoginProfile(r *Request) (any, error) {
	p := r.Params
	name := p.String("UserName", ExistingUserNameRule.Req())
	if err := p.Err(); err != nil {
		return nil, err
	}
	return nil, r.Node.DeleteLoginProfile(r.Ctx, r.Caller, name)
}

func changePassword(r *Request) (any, error) {
	p := r.Params
	oldPw := password(p, "OldPassword", true)
	newPw := password(p, "NewPassword", true)
	if err := p.Err(); err != nil {
		return nil, err
	}
	return nil, r.Node.ChangePassword(r.Ctx, r.Caller, *oldPw, *newPw)
}
