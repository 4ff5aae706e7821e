package oapi

import (
	"net/http"
	"regexp"
	"time"

	"iamd/fsm"
	"iamd/server"
)

// Access key actions (spec §1.4). They authorize as their IAM
// equivalents (iam:CreateAccessKey, ...) on top of api:<Action>.

func init() {
	register("CreateAccessKey", "5076", createAccessKey)
	register("ReadAccessKeys", "5076", readAccessKeys)
	register("UpdateAccessKey", "5076", updateAccessKey)
	register("DeleteAccessKey", "5076", deleteAccessKey)
}

// accessKeyID is the shape of any key ID iamd issues or accepts.
var accessKeyID = regexp.MustCompile(`^[A-Za-z0-9]{16,128}$`)

// keyState is OUTSCALE's State, with EXPIRED for a key past its
// ExpirationDate so that one is never shown as plainly ACTIVE.
func keyState(k *fsm.AccessKey, now time.Time) string {
	switch {
	case k.Expired(now):
		return "EXPIRED"
	case k.Status == "Active":
		return "ACTIVE"
	}
	return "INACTIVE"
}

func keyJSON(k *fsm.AccessKey, now time.Time) map[string]any {
	out := map[string]any{
		"AccessKeyId":          k.AccessKeyID,
		"CreationDate":         formatDate(k.CreateDate),
		"LastModificationDate": formatDate(k.CreateDate),
		"State":                keyState(k, now),
	}
	if k.ModifiedDate != nil {
		out["LastModificationDate"] = formatDate(*k.ModifiedDate)
	}
	if k.ExpirationDate != nil {
		out["ExpirationDate"] = formatDate(*k.ExpirationDate)
	}
	if k.Tag != "" {
		out["Tag"] = k.Tag
	}
	return out
}

type createAccessKeyIn struct {
	DryRun         *bool   `json:"DryRun"`
	ExpirationDate *string `json:"ExpirationDate"`
	Tag            *string `json:"Tag"`
	UserName       *string `json:"UserName"`
}

func createAccessKey(r *request) (map[string]any, error) {
	var in createAccessKeyIn
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	req := server.CreateAccessKeyRequest{UserName: str(in.UserName), Tag: str(in.Tag)}
	if in.ExpirationDate != nil && *in.ExpirationDate != "" {
		exp, err := parseDate(*in.ExpirationDate, "4047")
		if err != nil {
			return nil, err
		}
		req.ExpirationDate = exp
	}
	if r.dryRun {
		return map[string]any{}, nil
	}
	k, secret, err := r.api.node.CreateIAMAccessKey(r.http.Context(), r.AWSCaller, req)
	if err != nil {
		return nil, err
	}
	out := keyJSON(k, r.api.node.Now())
	out["SecretKey"] = secret
	return map[string]any{"AccessKey": out}, nil
}

type readAccessKeysIn struct {
	DryRun  *bool `json:"DryRun"`
	Filters *struct {
		AccessKeyIds *[]string `json:"AccessKeyIds"`
		States       *[]string `json:"States"`
	} `json:"Filters"`
	Tag      *string `json:"Tag"`
	UserName *string `json:"UserName"`
}

func readAccessKeys(r *request) (map[string]any, error) {
	var in readAccessKeysIn
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	_, page, err := r.api.node.ListIAMAccessKeys(r.AWSCaller, str(in.UserName), "", 1000)
	if err != nil {
		return nil, err
	}
	now := r.api.node.Now()
	keys := []map[string]any{}
	for _, k := range page.Items {
		st := keyState(k, now)
		if in.Filters != nil && (!anyIn(in.Filters.AccessKeyIds, k.AccessKeyID) || !anyIn(in.Filters.States, st)) {
			continue
		}
		if in.Tag != nil && *in.Tag != k.Tag {
			continue
		}
		keys = append(keys, keyJSON(k, now))
	}
	return map[string]any{"AccessKeys": keys}, nil
}

type updateAccessKeyIn struct {
	AccessKeyId         *string `json:"AccessKeyId"`
	ClearExpirationDate *bool   `json:"ClearExpirationDate"`
	ClearTag            *bool   `json:"ClearTag"`
	DryRun              *bool   `json:"DryRun"`
	ExpirationDate      *string `json:"ExpirationDate"`
	State               *string `json:"State"`
	Tag                 *string `json:"Tag"`
	UserName            *string `json:"UserName"`
}

// updateAccessKey follows OUTSCALE: an update without ExpirationDate
// leaves the key without one (T5924: "absent" always means "no expiry"),
// and the Clear* flags win.
func updateAccessKey(r *request) (map[string]any, error) {
	var in updateAccessKeyIn
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	id, err := keyIDParam(in.AccessKeyId, func(id string) error {
		return invalidValueCode("4122", "AccessKeyId %q is not a valid access key ID", id)
	})
	if err != nil {
		return nil, err
	}
	up := server.KeyUpdate{UserName: str(in.UserName), AccessKeyID: id, SetExpiration: true}
	switch str(in.State) {
	case "":
	case "ACTIVE":
		up.Status = "Active"
	case "INACTIVE":
		up.Status = "Inactive"
	default:
		return nil, invalidValueCode("4123", "State must be ACTIVE or INACTIVE, got %q", str(in.State))
	}
	if in.ExpirationDate != nil && *in.ExpirationDate != "" && !(in.ClearExpirationDate != nil && *in.ClearExpirationDate) {
		exp, err := parseDate(*in.ExpirationDate, "4123")
		if err != nil {
			return nil, err
		}
		up.Expiration = exp
	}
	switch {
	case in.ClearTag != nil && *in.ClearTag:
		empty := ""
		up.Tag = &empty
	case in.Tag != nil:
		up.Tag = in.Tag
	}
	if r.dryRun {
		return map[string]any{}, nil
	}
	k, err := r.api.node.UpdateAccessKey(r.http.Context(), r.AWSCaller, up)
	if err != nil {
		return nil, err
	}
	return map[string]any{"AccessKey": keyJSON(k, r.api.node.Now())}, nil
}

type deleteAccessKeyIn struct {
	AccessKeyId *string `json:"AccessKeyId"`
	DryRun      *bool   `json:"DryRun"`
	UserName    *string `json:"UserName"`
}

func deleteAccessKey(r *request) (map[string]any, error) {
	var in deleteAccessKeyIn
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	id, err := keyIDParam(in.AccessKeyId, func(id string) error {
		return oapiErr(http.StatusBadRequest, "5076", "InvalidResource", "The access key %q does not exist", id)
	})
	if err != nil {
		return nil, err
	}
	if r.dryRun {
		return map[string]any{}, nil
	}
	return map[string]any{}, r.api.node.DeleteIAMAccessKey(r.http.Context(), r.AWSCaller, str(in.UserName), id)
}

// keyIDParam reads the required AccessKeyId; a value that cannot be an
// access key ID gets the action's own error (OUTSCALE answers update and
// delete with different codes).
func keyIDParam(p *string, malformed func(id string) error) (string, error) {
	id := str(p)
	if id == "" {
		return "", missing("AccessKeyId")
	}
	if !accessKeyID.MatchString(id) {
		return "", malformed(id)
	}
	return id, nil
}
