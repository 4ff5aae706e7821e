package vault

import (
	"net/http/httptest"
	"testing"
)

// FuzzDecodeBody feeds arbitrary bodies (JSON, or forms) to the /v1 body
// decoder and every field accessor the handlers use on its result: bad
// input must be an error, never a panic. `go test -fuzz=FuzzDecodeBody
// ./api/vault/` runs it; the seeds run with every `go test`.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{
		`{"policies":["a","b"],"ttl":"1h","num_uses":3,"renewable":true,"metadata":{"k":"v"}}`,
		`{"policies":"a,b","ttl":3600,"period":"30m","explicit_max_ttl":1e309}`,
		`{"metadata":["k=v","x=y"],"disabled":"true","member_entity_ids":null}`,
		`{"token_ttl":-1,"token_policies":[1,2,{"x":1}],"password":"p\u0000w"}`,
		`{"a":{"b":{"c":[[[[]]]]}}}`, `{}`, `{"x":`, `[1,2]`, `null`, `"str"`,
		`policies=a&policies=b&ttl=1h`, `password=%zz`, `a=1;b=2`, "\xff\xfe{",
		`{"ttl":"9999999999999999999h","num_uses":99999999999999999999}`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	fields := []string{"policies", "ttl", "num_uses", "renewable", "metadata", "period", "explicit_max_ttl",
		"disabled", "member_entity_ids", "token_ttl", "token_policies", "password", "a", "x"}
	f.Fuzz(func(t *testing.T, body []byte, form bool) {
		req := httptest.NewRequest("POST", "/v1/x", nil)
		if form {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		data := map[string]any{}
		if err := decodeBody(req, body, data); err != nil {
			return
		}
		r := &Request{Data: data}
		keys := fields
		for k := range data {
			keys = append(keys, k)
		}
		for _, k := range keys {
			r.Has(k)
			r.String(k, "")
			r.Int(k, 0)
			r.Bool(k, false)
			r.Duration(k, 0)
			r.StringSlice(k)
			r.StringMap(k)
			fr := fieldsOf(r)
			fr.str(k, "")
			fr.integer(k, 0)
			fr.seconds(k, 0)
			fr.optString(k)
			fr.optBool(k)
			fr.optStrings(k)
			fr.optMap(k)
		}
	})
}
