package awsquery

import (
	"time"

	"iamd/fsm"
	"iamd/iamerr"
	"iamd/server"
)

// IAM access key actions (spec §4.2).

func init() {
	registerAction("CreateAccessKey", createAccessKey)
	registerAction("ListAccessKeys", listAccessKeys)
	registerAction("UpdateAccessKey", updateAccessKey)
	registerAction("DeleteAccessKey", deleteAccessKey)
	registerAction("GetAccessKeyLastUsed", getAccessKeyLastUsed)
}

type accessKeyXML struct {
	UserName        string    `xml:"UserName,omitempty"`
	AccessKeyID     string    `xml:"AccessKeyId"`
	Status          string    `xml:"Status"`
	SecretAccessKey string    `xml:"SecretAccessKey"`
	CreateDate      time.Time `xml:"CreateDate"`
	// ExpirationDate is iamd's extension (OUTSCALE semantics).
	ExpirationDate *time.Time `xml:"ExpirationDate,omitempty"`
}

type createAccessKeyResult struct {
	AccessKey accessKeyXML `xml:"AccessKey"`
}

// createAccessKey also takes SeaweedFS's AccessKeyId + SecretAccessKey
// extension; the server checks their rules (InvalidInput).
func createAccessKey(r *Request) (any, error) {
	p := r.Params
	req := server.CreateAccessKeyRequest{
		UserName:        p.String("UserName", ExistingUserNameRule),
		AccessKeyID:     p.String("AccessKeyId", Rule{}),
		SecretAccessKey: p.String("SecretAccessKey", Rule{}),
	}
	exp, err := expirationParam(p)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	req.ExpirationDate = exp
	k, secret, err := r.Node.CreateIAMAccessKey(r.Ctx, r.Caller, req)
	if err != nil {
		return nil, err
	}
	return createAccessKeyResult{AccessKey: accessKeyXML{UserName: k.UserName, AccessKeyID: k.AccessKeyID,
		Status: k.Status, SecretAccessKey: secret, CreateDate: k.CreateDate.UTC(), ExpirationDate: k.ExpirationDate}}, nil
}

type accessKeyMetadataXML struct {
	UserName    string    `xml:"UserName,omitempty"`
	AccessKeyID string    `xml:"AccessKeyId"`
	Status      string    `xml:"Status"`
	CreateDate  time.Time `xml:"CreateDate"`
	// ExpirationDate is iamd's extension; an expired key's Status is
	// "Expired", never plain "Active".
	ExpirationDate *time.Time `xml:"ExpirationDate,omitempty"`
}

type listAccessKeysResult struct {
	AccessKeyMetadata List[accessKeyMetadataXML] `xml:"AccessKeyMetadata"`
	IsTruncated       bool                       `xml:"IsTruncated"`
	Marker            string                     `xml:"Marker,omitempty"`
}

func listAccessKeys(r *Request) (any, error) {
	p := r.Params
	name := p.String("UserName", ExistingUserNameRule)
	marker, maxItems := p.Page()
	if err := p.Err(); err != nil {
		return nil, err
	}
	u, page, err := r.Node.ListIAMAccessKeys(r.Caller, name, marker, maxItems)
	if err != nil {
		return nil, err
	}
	out := listAccessKeysResult{AccessKeyMetadata: make(List[accessKeyMetadataXML], len(page.Items)),
		IsTruncated: page.IsTruncated, Marker: page.Marker}
	for i, k := range page.Items {
		status := k.Status
		if k.Expired(r.Node.Now()) {
			status = "Expired"
		}
		out.AccessKeyMetadata[i] = accessKeyMetadataXML{UserName: u.UserName, AccessKeyID: k.AccessKeyID,
			Status: status, CreateDate: k.CreateDate.UTC(), ExpirationDate: k.ExpirationDate}
	}
	return out, nil
}

func updateAccessKey(r *Request) (any, error) {
	p := r.Params
	name := p.String("UserName", ExistingUserNameRule)
	id := p.String("AccessKeyId", AccessKeyIDRule.Req())
	status := p.String("Status", StatusRule.Req())
	up := server.KeyUpdate{UserName: name, AccessKeyID: id, Status: status}
	exp, err := expirationParam(p)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	// Extension: ExpirationDate sets the expiry, ClearExpirationDate=true
	// removes it; without either the expiry is left alone.
	if exp != nil || p.String("ClearExpirationDate", Rule{}) == "true" {
		up.SetExpiration, up.Expiration = true, exp
	}
	_, err = r.Node.UpdateAccessKey(r.Ctx, r.Caller, up)
	return nil, err
}

func deleteAccessKey(r *Request) (any, error) {
	p := r.Params
	name := p.String("UserName", ExistingUserNameRule)
	id := p.String("AccessKeyId", AccessKeyIDRule.Req())
	if err := p.Err(); err != nil {
		return nil, err
	}
	return nil, r.Node.DeleteIAMAccessKey(r.Ctx, r.Caller, name, id)
}

type accessKeyLastUsedXML struct {
	LastUsedDate *time.Time `xml:"LastUsedDate,omitempty"`
	ServiceName  string     `xml:"ServiceName"`
	Region       string     `xml:"Region"`
}

type getAccessKeyLastUsedResult struct {
	UserName          string               `xml:"UserName,omitempty"`
	AccessKeyLastUsed accessKeyLastUsedXML `xml:"AccessKeyLastUsed"`
}

func getAccessKeyLastUsed(r *Request) (any, error) {
	id := r.Params.String("AccessKeyId", AccessKeyIDRule.Req())
	if err := r.Params.Err(); err != nil {
		return nil, err
	}
	res, err := r.Node.IAMAccessKeyLastUsed(r.Caller, id)
	if err != nil {
		return nil, err
	}
	return getAccessKeyLastUsedResult{UserName: res.UserName, AccessKeyLastUsed: lastUsedOf(res.Use)}, nil
}

// lastUsedOf renders a use; a key never used shows N/A without a date.
func lastUsedOf(use *fsm.KeyUse) accessKeyLastUsedXML {
	if use == nil {
		return accessKeyLastUsedXML{ServiceName: "N/A", Region: "N/A"}
	}
	t := use.Time.UTC()
	return accessKeyLastUsedXML{LastUsedDate: &t, ServiceName: use.Service, Region: use.Region}
}

// expirationParam reads iamd's ExpirationDate extension parameter (ISO
// 8601 date-time, or a date meaning midnight UTC); nil when absent.
func expirationParam(p *Params) (*time.Time, error) {
	s := p.String("ExpirationDate", Rule{})
	if s == "" {
		return nil, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC()
			return &t, nil
		}
	}
	return nil, errorWithCode(iamerr.Invalid, "InvalidInput", "ExpirationDate %q is not an ISO 8601 date or date-time, such as 2063-04-05T12:00:00Z", s)
}
