package awsquery

import (
	"strings"
	"testing"

	"iamd/iamerr"
)

// FuzzParams feeds arbitrary query strings and bodies through the form
// parser and every getter: no panic, every failure an iamerr with an AWS
// code the error table knows, and values handed out only when valid.
func FuzzParams(f *testing.F) {
	f.Add("Action=ListUsers", "UserName=alice&Tags.member.1.Key=k&Tags.member.1.Value=v")
	f.Add("", "TagKeys=&Path=%2Fa%2F&MaxItems=1000")
	f.Add("a=1&a=2", "")
	f.Add("X=%zz", "Tags.member.01.Key=x&Tags.member.-1.Key=y&Tags.member.99999999999999999999.Key=z")
	f.Add("", "UserName=%FF%FE&ContextEntries.member.1.ContextKeyValues.member.1=10.0.0.1")
	f.Fuzz(func(t *testing.T, query, body string) {
		values, err := parseForm(query, []byte(body), true)
		if err != nil {
			if c := iamerr.As(err).Code; c != "InvalidQueryParameter" {
				t.Fatalf("form error code %q", c)
			}
			return
		}
		p := NewParams(values)
		name := p.String("UserName", NewUserNameRule)
		p.String("Path", PathRule)
		p.Int("MaxItems", 1, 1000, 100)
		p.Bool("SetAsDefault", false)
		tags := p.Tags("Tags", false)
		p.TagKeys("TagKeys")
		for _, m := range func() []*Params { ms, _ := p.Members("ContextEntries", 0, false); return ms }() {
			m.List("ContextKeyValues", Rule{}, 0, false)
		}
		err = p.Err()
		if err == nil {
			if name != "" && !NewUserNameRule.Pattern.re.MatchString(name) {
				t.Fatalf("invalid name %q passed", name)
			}
			for _, tg := range tags {
				if tg.Key == "" {
					t.Fatalf("empty tag key passed: %+v", tags)
				}
			}
			return
		}
		e := iamerr.As(err)
		if e.Code != "ValidationError" || !strings.Contains(e.Message, "validation error") {
			t.Fatalf("params error %+v", e)
		}
		if _, ok := codeStatus[e.Code]; !ok {
			t.Fatalf("code %s has no status", e.Code)
		}
	})
}
