package awsquery

import (
	"time"

	"iamd/fsm"
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
	if err := p.Err(); err != nil {
		return nil, err
	}
	k, secret, err := r.Node.CreateIAMAccessKey(r.Ctx, r.Caller, req)
	if err != nil {
		return nil, err
	}
	return createAccessKeyResult{AccessKey: accessKeyXML{UserName: k.UserName, AccessKeyID: k.AccessKeyID,
		Status: k.Status, SecretAccessKey: secret, CreateDate: k.CreateDate.UTC()}}, nil
}

type accessKeyMetadataXML struct {
	UserName    string    `xml:"UserName,omitempty"`
	AccessKeyID string    `xml:"AccessKeyId"`
	Status      string    `xml:"Status"`
	CreateDate  time.Time `xml:"CreateDate"`
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
		out.AccessKeyMetadata[i] = accessKeyMetadataXML{UserName: u.UserName, AccessKeyID: k.AccessKeyID,
			Status: k.Status, CreateDate: k.CreateDate.UTC()}
	}
	return out, nil
}

func updateAccessKey(r *Request) (any, error) {
	p := r.Params
	name := p.String("UserName", ExistingUserNameRule)
	id := p.String("AccessKeyId", AccessKeyIDRule.Req())
	status := p.String("Status", StatusRule.Req())
	if err := p.Err(); err != nil {
		return nil, err
	}
	return nil, r.Node.UpdateIAMAccessKey(r.Ctx, r.Caller, name, id, status)
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
