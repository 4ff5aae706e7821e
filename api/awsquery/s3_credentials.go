package awsquery

import (
	"time"

	"iamd/fsm"
)

// Role-based S3 credentials: iamd's IAM query extension for S4's
// per-user credentials (spec/account-security.md §5.4; docs/s4.md). Raw
// signed POSTs only; element names follow the access key actions.

func init() {
	registerAction("CreateS3Credential", createS3Credential)
	registerAction("ListS3Credentials", listS3Credentials)
	registerAction("UpdateS3Credential", updateS3Credential)
	registerAction("DeleteS3Credential", deleteS3Credential)
}

var s4RoleRule = Rule{Max: 16}

type s3CredentialXML struct {
	UserName        string    `xml:"UserName"`
	AccessKeyID     string    `xml:"AccessKeyId"`
	SecretAccessKey string    `xml:"SecretAccessKey,omitempty"` // Create only
	Role            string    `xml:"Role"`
	Status          string    `xml:"Status"`
	CreateDate      time.Time `xml:"CreateDate"`
}

func s3CredentialOf(k *fsm.AccessKey) s3CredentialXML {
	return s3CredentialXML{UserName: k.UserName, AccessKeyID: k.AccessKeyID, Role: k.S4Role, Status: k.Status,
		CreateDate: k.CreateDate.UTC()}
}

type createS3CredentialResult struct {
	S3Credential s3CredentialXML `xml:"S3Credential"`
}

// createS3Credential issues a credential; Role (Reader, Writer, SuperUser)
// is optional when the user already has one.
func createS3Credential(r *Request) (any, error) {
	p := r.Params
	name := p.String("UserName", ExistingUserNameRule.Req())
	role := p.String("Role", s4RoleRule)
	if err := p.Err(); err != nil {
		return nil, err
	}
	k, secret, err := r.Node.CreateS3Credential(r.Ctx, r.Caller, name, role)
	if err != nil {
		return nil, err
	}
	x := s3CredentialOf(k)
	x.SecretAccessKey = secret
	return createS3CredentialResult{S3Credential: x}, nil
}

type listS3CredentialsResult struct {
	S3Credentials List[s3CredentialXML] `xml:"S3Credentials"`
	IsTruncated   bool                  `xml:"IsTruncated"`
}

// listS3Credentials lists a user's credentials (at most
// fsm.MaxS3CredentialsPerUser, so one page).
func listS3Credentials(r *Request) (any, error) {
	p := r.Params
	name := p.String("UserName", ExistingUserNameRule.Req())
	if err := p.Err(); err != nil {
		return nil, err
	}
	_, keys, err := r.Node.ListS3Credentials(r.Caller, name)
	if err != nil {
		return nil, err
	}
	out := listS3CredentialsResult{S3Credentials: make(List[s3CredentialXML], len(keys))}
	for i, k := range keys {
		out.S3Credentials[i] = s3CredentialOf(k)
	}
	return out, nil
}

func updateS3Credential(r *Request) (any, error) {
	p := r.Params
	name := p.String("UserName", ExistingUserNameRule.Req())
	id := p.String("AccessKeyId", AccessKeyIDRule.Req())
	status := p.String("Status", StatusRule.Req())
	if err := p.Err(); err != nil {
		return nil, err
	}
	return nil, r.Node.UpdateS3Credential(r.Ctx, r.Caller, name, id, status)
}

func deleteS3Credential(r *Request) (any, error) {
	p := r.Params
	name := p.String("UserName", ExistingUserNameRule.Req())
	id := p.String("AccessKeyId", AccessKeyIDRule.Req())
	if err := p.Err(); err != nil {
		return nil, err
	}
	_, err := r.Node.DeleteS3Credential(r.Ctx, r.Caller, name, id)
	return nil, err
}
