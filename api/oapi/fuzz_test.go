package oapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"testing"
)

// fuzzInputs gives, for every registered action, a fresh value of the type
// its handler decodes the body into. The key actions and the rule writes
// have named types; the others declare theirs inside the handler, so these
// are copies of those declarations (TestFuzzInputsCoverEveryAction keeps the
// list in step with the registered actions, not the copies with their
// originals).
var fuzzInputs = map[string]func() any{
	"CreateAccessKey":     func() any { return new(createAccessKeyIn) },
	"ReadAccessKeys":      func() any { return new(readAccessKeysIn) },
	"UpdateAccessKey":     func() any { return new(updateAccessKeyIn) },
	"DeleteAccessKey":     func() any { return new(deleteAccessKeyIn) },
	"CreateApiAccessRule": func() any { return new(ruleIn) },
	"UpdateApiAccessRule": func() any { return new(ruleIn) },
	"ReadApiAccessRules": func() any {
		return new(struct {
			DryRun  *bool `json:"DryRun"`
			Filters *struct {
				ApiAccessRuleIds *[]string `json:"ApiAccessRuleIds"`
				CaIds            *[]string `json:"CaIds"`
				Cns              *[]string `json:"Cns"`
				Descriptions     *[]string `json:"Descriptions"`
				IpRanges         *[]string `json:"IpRanges"`
			} `json:"Filters"`
		})
	},
	"DeleteApiAccessRule": func() any {
		return new(struct {
			ApiAccessRuleId *string `json:"ApiAccessRuleId"`
			DryRun          *bool   `json:"DryRun"`
		})
	},
	"CreateCa": func() any {
		return new(struct {
			CaPem       *string `json:"CaPem"`
			Description *string `json:"Description"`
			DryRun      *bool   `json:"DryRun"`
		})
	},
	"ReadCas": func() any {
		return new(struct {
			DryRun  *bool `json:"DryRun"`
			Filters *struct {
				CaFingerprints *[]string `json:"CaFingerprints"`
				CaIds          *[]string `json:"CaIds"`
				Descriptions   *[]string `json:"Descriptions"`
			} `json:"Filters"`
		})
	},
	"UpdateCa": func() any {
		return new(struct {
			CaId        *string `json:"CaId"`
			Description *string `json:"Description"`
			DryRun      *bool   `json:"DryRun"`
		})
	},
	"DeleteCa": func() any {
		return new(struct {
			CaId   *string `json:"CaId"`
			DryRun *bool   `json:"DryRun"`
		})
	},
	"ReadApiAccessPolicy": func() any { return new(struct{ DryRun *bool }) },
	"UpdateApiAccessPolicy": func() any {
		return new(struct {
			DryRun                        *bool  `json:"DryRun"`
			MaxAccessKeyExpirationSeconds *int64 `json:"MaxAccessKeyExpirationSeconds"`
			RequireTrustedEnv             *bool  `json:"RequireTrustedEnv"`
		})
	},
}

// dryRunHandlers are the actions whose handler, in a dry run, checks the
// whole body and answers without reaching the node: the fuzzer runs them
// for real (node nil), not only the decoding.
var dryRunHandlers = []string{"CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey"}

// oapiCodes are the codes a bad body may produce before the node is
// reached: unknown field, wrong type, missing parameter, bad value (4047,
// 4118, 4122, 4123) and the unknown access key of a delete (5076).
var oapiCodes = map[string]string{
	"3001": "InvalidParameter", "4110": "InvalidParameterType", "7000": "MissingParameter",
	"4047": "InvalidParameterValue", "4118": "InvalidParameterValue", "4122": "InvalidParameterValue",
	"4123": "InvalidParameterValue", "5076": "InvalidResource",
}

func TestFuzzInputsCoverEveryAction(t *testing.T) {
	for name := range actions {
		if fuzzInputs[name] == nil {
			t.Errorf("action %s has no input type in fuzzInputs: FuzzActionBody does not cover it", name)
		}
	}
	for name := range fuzzInputs {
		if actions[name] == nil {
			t.Errorf("fuzzInputs names %s, which is not a registered action", name)
		}
	}
}

// FuzzActionBody feeds arbitrary bodies to every OAPI action the way serve
// does (empty body read as {}, the DryRun pre-read, then the strict decode
// into the action's input), and to the dry-run handlers that need no node.
// A body is either refused with a documented OAPI error (400, a known code
// and type, rendered as one Errors item) or decoded into a value that
// survives a JSON round trip.
func FuzzActionBody(f *testing.F) {
	for _, s := range []string{
		`{}`, ``, `null`, `[]`, `"x"`, `{"DryRun":true}`, `{"DryRun":"yes"}`, `{"dryrun":true}`,
		`{"UserName":"alice","Tag":"t","ExpirationDate":"2063-04-05"}`,
		`{"ExpirationDate":"2063-04-05T12:00:00.000+0000","DryRun":true}`,
		`{"ExpirationDate":"not a date","DryRun":true}`,
		`{"AccessKeyId":"AKIAABCDEFGHIJKLMNOP","State":"INACTIVE","ClearTag":true,"DryRun":true}`,
		`{"AccessKeyId":"short","State":"ACTIVE","DryRun":true}`,
		`{"AccessKeyId":"AKIAABCDEFGHIJKLMNOP","State":"BROKEN","DryRun":true}`,
		`{"Filters":{"AccessKeyIds":["a"],"States":["ACTIVE"]}}`, `{"Filters":{"Nope":[]}}`,
		`{"IpRanges":["10.0.0.0/8"],"CaIds":["ca-1"],"Cns":["cn"],"Description":"d"}`,
		`{"ApiAccessRuleId":"aar-1","IpRanges":"10.0.0.0/8"}`,
		`{"CaPem":"-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----","Description":"x"}`,
		`{"CaId":"ca-1"}`, `{"CaId":1}`, `{"MaxAccessKeyExpirationSeconds":3600,"RequireTrustedEnv":false}`,
		`{"MaxAccessKeyExpirationSeconds":1e309}`, `{"MaxAccessKeyExpirationSeconds":-1.5}`,
		`{"Unknown":1}`, `{} {}`, `{}}`, `{}]`, `{"Tag":"\ud800"}`, "{\"Tag\":\"\xff\"}", `{"Tag":`,
		`{"UserName":"a","UserName":null}`, `{"Filters":{"CaIds":[null,1]}}`,
	} {
		f.Add([]byte(s))
	}
	names := make([]string, 0, len(fuzzInputs))
	for name := range fuzzInputs {
		names = append(names, name)
	}
	sort.Strings(names)
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) == 0 {
			body = []byte("{}") // as serve does
		}
		var dry struct {
			DryRun *bool `json:"DryRun"`
		}
		if err := json.Unmarshal(body, &dry); err != nil {
			checkOAPIError(t, "DryRun pre-read", decodeError(err))
			return
		}
		for _, name := range names {
			r := &request{api: &api{}, action: name, body: body, dryRun: true}
			in := fuzzInputs[name]()
			if err := r.decode(in); err != nil {
				checkOAPIError(t, name, err)
				continue
			}
			if !json.Valid(body) {
				t.Fatalf("%s: decoded a body that is not one JSON value: %q", name, body)
			}
			again, err := json.Marshal(in)
			if err != nil {
				t.Fatalf("%s: decoded value does not encode: %v", name, err)
			}
			back := fuzzInputs[name]()
			if err := (&request{body: again}).decode(back); err != nil || !reflect.DeepEqual(in, back) {
				t.Fatalf("%s: decoded value %s does not round-trip (%v)", name, again, err)
			}
		}
		for _, name := range dryRunHandlers {
			out, err := actions[name].run(&request{api: &api{}, action: name, body: body, dryRun: true})
			if err != nil {
				checkOAPIError(t, name+" handler", err)
			} else if out == nil {
				t.Fatalf("%s: dry run answered neither a value nor an error", name)
			}
		}
	})
}

// checkOAPIError fails unless err is a documented OAPI 400 error and
// renders as OUTSCALE's Errors envelope with one item.
func checkOAPIError(t *testing.T, what string, err error) {
	t.Helper()
	var oe *oapiError
	if !errors.As(err, &oe) {
		t.Fatalf("%s: %T %v is not an OAPI error", what, err, err)
	}
	if typ, ok := oapiCodes[oe.code]; !ok || typ != oe.typ || oe.status != http.StatusBadRequest || oe.details == "" {
		t.Fatalf("%s: undocumented error %d %s %s: %q", what, oe.status, oe.code, oe.typ, oe.details)
	}
	w := httptest.NewRecorder()
	if err := writeError(w, "req-1", err); err != nil {
		t.Fatalf("%s: error does not render: %v", what, err)
	}
	var env errorBody
	if json.Unmarshal(w.Body.Bytes(), &env) != nil || len(env.Errors) != 1 || env.Errors[0].Code != oe.code ||
		env.ResponseContext.RequestID != "req-1" || w.Code != http.StatusBadRequest {
		t.Fatalf("%s: bad error rendering %d %s", what, w.Code, w.Body.Bytes())
	}
}
