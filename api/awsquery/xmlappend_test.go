package awsquery

import (
	"bytes"
	"encoding/xml"
	"net/http/httptest"
	"testing"
	"time"
)

// reflectXML is the answer encoding/xml writes for result: what the
// hand-written renderer must reproduce byte for byte.
func reflectXML(t testing.TB, ns, action, requestID string, result any) []byte {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := encodeResult(xml.NewEncoder(&buf), ns, action, requestID, result); err != nil {
		t.Fatalf("encoding/xml: %v", err)
	}
	return buf.Bytes()
}

func appendedXML(t testing.TB, ns, action, requestID string, result any) []byte {
	t.Helper()
	var fast xmlAppender
	if result != nil {
		var ok bool
		if fast, ok = result.(xmlAppender); !ok {
			t.Fatalf("%T does not write itself", result)
		}
	}
	b, err := appendResult(nil, ns, action, requestID, fast)
	if err != nil {
		t.Fatalf("appendResult: %v", err)
	}
	return b
}

// awkward are strings that exercise every escaping rule: markup
// characters, quotes, whitespace references, non-ASCII, invalid UTF-8,
// characters XML cannot carry, and a literal U+FFFD.
var awkward = []string{
	"",
	"alice",
	"a<b>&c",
	`say "hi" it's`,
	"tab\there\nnew\rline",
	"été 日本 🙂",
	"bad\xffutf8\xc3",
	"ctl\x00\x01\x1f\x7f",
	"\ufffe\uffff\ud7ff\ue000",
	"lit\ufffderal",
	"]]>",
	"&amp;already",
}

func awkwardUser(i int, withTags bool) UserXML {
	s := func(k int) string { return awkward[(i+k)%len(awkward)] }
	u := UserXML{Path: s(0), UserName: s(1), UserID: s(2), Arn: s(3),
		CreateDate: time.Date(2020+i, time.Month(1+i%12), 1+i, i, i, i, i*1_000_003, time.UTC)}
	if withTags {
		u.Tags = List[Tag]{{Key: s(4), Value: s(5)}, {Key: s(6), Value: ""}}
	}
	return u
}

func TestAppendedXMLMatchesEncodingXML(t *testing.T) {
	zone := time.FixedZone("x", -(3*3600 + 30*60))
	cases := map[string]any{
		"no result":       nil,
		"empty user":      userResult{},
		"user no tags":    userResult{User: UserXML{UserID: "AIDA", Arn: "arn:aws:iam::1:user/a", CreateDate: time.Unix(0, 0).UTC()}},
		"user empty tags": userResult{User: UserXML{UserName: "a", Tags: List[Tag]{}}},
		"user in a zone":  userResult{User: UserXML{UserName: "z", CreateDate: time.Date(2024, 2, 29, 23, 59, 59, 5, zone)}},
		"nil user list":   listUsersResult{},
		"empty list":      listUsersResult{Users: List[UserXML]{}, IsTruncated: false},
		"truncated":       listUsersResult{Users: List[UserXML]{awkwardUser(1, false)}, IsTruncated: true, Marker: "m<&>\"'"},
		"empty group":     getGroupResult{},
		"group":           getGroupResult{Group: GroupXML{Path: "/", GroupName: "g&", GroupID: "AGPA", Arn: "arn'", CreateDate: time.Unix(1e9, 0).UTC()}, Users: List[UserXML]{awkwardUser(3, false)}, Marker: "x"},
	}
	for i := range awkward {
		cases["awkward user "+string(rune('a'+i))] = userResult{User: awkwardUser(i, true)}
		users := make(List[UserXML], i)
		for j := range users {
			users[j] = awkwardUser(i+j, j%2 == 0) // lists never carry tags, but the writer must not care
		}
		cases["awkward list "+string(rune('a'+i))] = listUsersResult{Users: users, IsTruncated: i%2 == 1, Marker: awkward[i]}
	}
	for name, result := range cases {
		for _, env := range []struct{ ns, action, id string }{
			{IAMNamespace, "GetUser", "6f1c0e4e-0000-4000-8000-000000000000"},
			{`ns"<&>'`, "ListUsers", "id\n<&>"},
		} {
			want := reflectXML(t, env.ns, env.action, env.id, result)
			got := appendedXML(t, env.ns, env.action, env.id, result)
			if !bytes.Equal(got, want) {
				t.Errorf("%s (%s):\nappend:       %q\nencoding/xml: %q", name, env.action, got, want)
			}
		}
	}
}

// A date encoding/xml refuses (year beyond 9999) is not written by hand
// either: the answer goes through encoding/xml, which reports the error.
func TestAppendedXMLRefusesWhatEncodingXMLRefuses(t *testing.T) {
	r := userResult{User: UserXML{UserName: "a", CreateDate: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}
	if _, err := appendResult(nil, IAMNamespace, "GetUser", "id", r); err == nil {
		t.Fatal("appendResult wrote a year-10000 date")
	}
	if err := writeResult(httptest.NewRecorder(), IAMNamespace, "GetUser", "id", r); err == nil {
		t.Fatal("writeResult wrote a year-10000 date")
	}
}

// FuzzAppendEscaped checks the escaping of any string against encoding/xml.
func FuzzAppendEscaped(f *testing.F) {
	for _, s := range awkward {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		if err := xml.EscapeText(&want, []byte(s)); err != nil {
			t.Fatal(err)
		}
		if got := appendEscaped(nil, s); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("%q: got %q, encoding/xml %q", s, got, want.Bytes())
		}
	})
}

func BenchmarkWriteResult(b *testing.B) {
	r := userResult{User: UserXML{Path: "/", UserName: "bench-user-0001", UserID: "AIDAEXAMPLE0000000001",
		Arn: "arn:aws:iam::000000000000:user/bench-user-0001", CreateDate: time.Now().UTC(), Tags: List[Tag]{}}}
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			writeResult(httptest.NewRecorder(), IAMNamespace, "GetUser", "6f1c0e4e-0000-4000-8000-000000000000", r)
		}
	})
	type reflected struct { // the same fields without appendXML
		User UserXML `xml:"User"`
	}
	b.Run("encoding-xml", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			writeResult(httptest.NewRecorder(), IAMNamespace, "GetUser", "6f1c0e4e-0000-4000-8000-000000000000", reflected(r))
		}
	})
}
