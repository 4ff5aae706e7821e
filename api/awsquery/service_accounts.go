package awsquery

import (
	"strconv"
	"time"

	"iamd/iamerr"
	"iamd/server"
)

// Service account actions: SeaweedFS's extension (spec §4.9), reachable by
// raw signed POSTs only (no AWS SDK has them). Element names follow
// SeaweedFS's weed/iam/responses.go.

func init() {
	registerAction("CreateServiceAccount", createServiceAccount)
	registerAction("GetServiceAccount", getServiceAccount)
	registerAction("ListServiceAccounts", listServiceAccounts)
	registerAction("UpdateServiceAccount", updateServiceAccount)
	registerAction("DeleteServiceAccount", deleteServiceAccount)
}

type serviceAccountXML struct {
	ServiceAccountID string     `xml:"ServiceAccountId"`
	ParentUser       string     `xml:"ParentUser"`
	Description      string     `xml:"Description,omitempty"`
	AccessKeyID      string     `xml:"AccessKeyId"`
	SecretAccessKey  string     `xml:"SecretAccessKey,omitempty"` // Create only
	Status           string     `xml:"Status"`
	Expiration       *time.Time `xml:"Expiration,omitempty"`
	CreateDate       time.Time  `xml:"CreateDate"`
}

func serviceAccountOf(v server.ServiceAccountView) serviceAccountXML {
	x := serviceAccountXML{ServiceAccountID: v.ID, ParentUser: v.ParentUser, Description: v.Description,
		AccessKeyID: v.AccessKeyID, Status: v.Status, CreateDate: v.CreateDate.UTC()}
	if !v.Expiration.IsZero() {
		t := v.Expiration.UTC()
		x.Expiration = &t
	}
	return x
}

type serviceAccountResult struct {
	ServiceAccount serviceAccountXML `xml:"ServiceAccount"`
}

var serviceAccountIDRule = Rule{Min: 1, Max: 256}

// expiration reads Expiration (Unix seconds); "" is the zero time (none).
func expiration(p *Params) (*time.Time, error) {
	v, ok := p.Raw("Expiration")
	if !ok {
		return nil, nil
	}
	if v == "" {
		return new(time.Time), nil
	}
	secs, err := strconv.ParseInt(v, 10, 64)
	if err != nil || secs <= 0 || secs > 253402300799 {
		return nil, iamerr.WithCode(iamerr.Invalid, "InvalidInput", "Expiration must be a Unix time in seconds")
	}
	t := time.Unix(secs, 0).UTC()
	return &t, nil
}

func createServiceAccount(r *Request) (any, error) {
	p := r.Params
	req := server.CreateServiceAccountRequest{
		ParentUser:  p.String("ParentUser", ExistingUserNameRule.Req()),
		Description: p.String("Description", Rule{}),
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	exp, err := expiration(p)
	if err != nil {
		return nil, err
	}
	if exp != nil {
		req.Expiration = *exp
	}
	sa, secret, err := r.Node.CreateServiceAccount(r.Ctx, r.Caller, req)
	if err != nil {
		return nil, err
	}
	x := serviceAccountOf(server.ServiceAccountView{ServiceAccount: sa, ParentUser: req.ParentUser})
	if u, err := r.Node.GetServiceAccount(r.Caller, sa.ID); err == nil {
		x.ParentUser = u.ParentUser // the stored case of the name
	}
	x.SecretAccessKey = secret
	return serviceAccountResult{ServiceAccount: x}, nil
}

func getServiceAccount(r *Request) (any, error) {
	id := r.Params.String("ServiceAccountId", serviceAccountIDRule.Req())
	if err := r.Params.Err(); err != nil {
		return nil, err
	}
	v, err := r.Node.GetServiceAccount(r.Caller, id)
	if err != nil {
		return nil, err
	}
	return serviceAccountResult{ServiceAccount: serviceAccountOf(v)}, nil
}

type listServiceAccountsResult struct {
	ServiceAccounts List[serviceAccountXML] `xml:"ServiceAccounts"`
	IsTruncated     bool                    `xml:"IsTruncated"`
	Marker          string                  `xml:"Marker,omitempty"`
}

func listServiceAccounts(r *Request) (any, error) {
	p := r.Params
	parent := p.String("ParentUser", ExistingUserNameRule)
	marker, maxItems := p.Page()
	if err := p.Err(); err != nil {
		return nil, err
	}
	page, err := r.Node.ListServiceAccounts(r.Caller, parent, marker, maxItems)
	if err != nil {
		return nil, err
	}
	out := listServiceAccountsResult{ServiceAccounts: make(List[serviceAccountXML], len(page.Items)),
		IsTruncated: page.IsTruncated, Marker: page.Marker}
	for i, v := range page.Items {
		out.ServiceAccounts[i] = serviceAccountOf(v)
	}
	return out, nil
}

func updateServiceAccount(r *Request) (any, error) {
	p := r.Params
	req := server.UpdateServiceAccountRequest{
		ID:          p.String("ServiceAccountId", serviceAccountIDRule.Req()),
		Status:      p.OptString("Status", Rule{}),
		Description: p.OptString("Description", Rule{}),
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	exp, err := expiration(p)
	if err != nil {
		return nil, err
	}
	req.Expiration = exp
	return nil, r.Node.UpdateServiceAccount(r.Ctx, r.Caller, req)
}

func deleteServiceAccount(r *Request) (any, error) {
	id := r.Params.String("ServiceAccountId", serviceAccountIDRule.Req())
	if err := r.Params.Err(); err != nil {
		return nil, err
	}
	return nil, r.Node.DeleteServiceAccount(r.Ctx, r.Caller, id)
}
