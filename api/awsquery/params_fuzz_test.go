package awsquery

import (
	"fmt"
	"maps"
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

// parseViaURL is parseForm as url.ParseQuery alone reads it: the reference
// addPairs's direct reading must agree with.
func parseViaURL(query, body string, form bool) (map[string]string, error) {
	values := map[string]string{}
	if err := addParsed(values, query); err != nil {
		return nil, err
	}
	if form {
		if err := addParsed(values, body); err != nil {
			return nil, err
		}
	}
	return values, nil
}

// FuzzParseFormMatchesURLParseQuery: the same values, or the same error
// (for a repeated key, the same kind of error: which repeated key is named
// is left to map order in url.ParseQuery's reading).
func FuzzParseFormMatchesURLParseQuery(f *testing.F) {
	f.Add("", "Action=GetUser&UserName=a%2Bb+c&Version=2010-05-08", true)
	f.Add("Action=ListUsers", "Action=ListUsers", true)
	f.Add("a=1&a=2", "", false)
	f.Add("&&x&=v&y=", "z=%zz&w=%", true)
	f.Add("a;b=c", "d=e", true)
	f.Add("k=%FF%fe", "K=1&k=2", true)
	f.Fuzz(func(t *testing.T, query, body string, form bool) {
		got, gerr := parseForm(query, []byte(body), form)
		want, werr := parseViaURL(query, body, form)
		if (gerr == nil) != (werr == nil) {
			t.Fatalf("parseForm(%q, %q): error %v, url.ParseQuery's reading: %v", query, body, gerr, werr)
		}
		if gerr != nil {
			g, w := iamerr.As(gerr), iamerr.As(werr)
			repeated := strings.Contains(w.Message, "appears more than once")
			if g.Code != w.Code || repeated != strings.Contains(g.Message, "appears more than once") || !repeated && g.Message != w.Message {
				t.Fatalf("parseForm(%q, %q): %q, url.ParseQuery's reading: %q", query, body, g.Message, w.Message)
			}
			return
		}
		if !maps.Equal(got, want) {
			t.Fatalf("parseForm(%q, %q) = %v, url.ParseQuery's reading: %v", query, body, got, want)
		}
	})
}

func TestParseFormManyPairs(t *testing.T) {
	// Past maxDirectPairs the string goes through url.ParseQuery, whose
	// limit on the number of parameters then applies.
	for _, n := range []int{maxDirectPairs - 1, maxDirectPairs + 1, 20000} {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "k%d=v&", i)
		}
		got, gerr := parseForm("", []byte(b.String()), true)
		want, werr := parseViaURL("", b.String(), true)
		if (gerr == nil) != (werr == nil) || len(got) != len(want) {
			t.Fatalf("%d pairs: %d values, error %v; url.ParseQuery's reading: %d, %v", n, len(got), gerr, len(want), werr)
		}
	}
}
