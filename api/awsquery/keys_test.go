package awsquery_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"iamd/api/apitest"
	"iamd/server"
)

func TestAccessKeyLifecycle(t *testing.T) {
	d := apitest.StartDev(t)
	c := rootClient(d)
	must[*iam.CreateUserOutput](t)(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}))

	k1 := must[*iam.CreateAccessKeyOutput](t)(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})).AccessKey
	if !strings.HasPrefix(*k1.AccessKeyId, "AKIA") || len(*k1.AccessKeyId) != 20 || len(*k1.SecretAccessKey) != 40 ||
		k1.Status != types.StatusTypeActive || *k1.UserName != "bob" {
		t.Fatalf("created key: %+v", k1)
	}
	k2 := must[*iam.CreateAccessKeyOutput](t)(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("BOB")})).AccessKey
	_, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
	wantCode(t, err, "LimitExceeded")
	_, err = c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("nobody")})
	wantCode(t, err, "NoSuchEntity")

	list := must[*iam.ListAccessKeysOutput](t)(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("bob")}))
	if len(list.AccessKeyMetadata) != 2 {
		t.Fatalf("ListAccessKeys: %+v", list.AccessKeyMetadata)
	}

	// The user's own key authenticates at once; without UserName it acts
	// on itself (self-service: no policy needed).
	bob := iamClient(d, *k1.AccessKeyId, *k1.SecretAccessKey)
	me := must[*iam.GetUserOutput](t)(bob.GetUser(ctx, &iam.GetUserInput{}))
	if *me.User.UserName != "bob" {
		t.Fatalf("GetUser as bob: %+v", me.User)
	}
	own := must[*iam.ListAccessKeysOutput](t)(bob.ListAccessKeys(ctx, &iam.ListAccessKeysInput{}))
	if len(own.AccessKeyMetadata) != 2 {
		t.Fatalf("bob's own keys: %+v", own.AccessKeyMetadata)
	}
	// …but may not manage others.
	_, err = bob.ListUsers(ctx, &iam.ListUsersInput{})
	wantCode(t, err, "AccessDenied")
	_, err = bob.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("nobody")})
	wantCode(t, err, "AccessDenied") // authorization before existence

	// Last use: recorded in memory at once, published through Raft on flush.
	used := must[*iam.GetAccessKeyLastUsedOutput](t)(c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k1.AccessKeyId}))
	lu := used.AccessKeyLastUsed
	if lu.LastUsedDate == nil || time.Since(*lu.LastUsedDate) > time.Minute || *lu.ServiceName != "iam" || *lu.Region != "eu-west-3" || *used.UserName != "bob" {
		t.Fatalf("last used: %+v %+v", used, lu)
	}
	never := must[*iam.GetAccessKeyLastUsedOutput](t)(c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k2.AccessKeyId}))
	if never.AccessKeyLastUsed.LastUsedDate != nil || *never.AccessKeyLastUsed.ServiceName != "N/A" || *never.AccessKeyLastUsed.Region != "N/A" {
		t.Fatalf("never used: %+v", never.AccessKeyLastUsed)
	}
	if err := d.Node.FlushKeyUses(ctx); err != nil {
		t.Fatal(err)
	}
	if u := d.Node.State().KeyLastUsed(*k1.AccessKeyId); u == nil || u.Service != "iam" {
		t.Fatalf("flushed use: %+v", u)
	}
	_, err = c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String("AKIAAAAAAAAAAAAAAAAA")})
	wantCode(t, err, "NoSuchEntity")

	// Inactive key: InvalidClientTokenId; active again: works.
	must[*iam.UpdateAccessKeyOutput](t)(c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("bob"),
		AccessKeyId: k1.AccessKeyId, Status: types.StatusTypeInactive}))
	_, err = bob.GetUser(ctx, &iam.GetUserInput{})
	wantCode(t, err, "InvalidClientTokenId")
	must[*iam.UpdateAccessKeyOutput](t)(c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("bob"),
		AccessKeyId: k1.AccessKeyId, Status: types.StatusTypeActive}))
	must[*iam.GetUserOutput](t)(bob.GetUser(ctx, &iam.GetUserInput{}))
	// A key that is not that user's is NoSuchEntity.
	_, err = c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{AccessKeyId: k1.AccessKeyId, Status: types.StatusTypeInactive})
	wantCode(t, err, "NoSuchEntity")

	// Inactive user (SetUserStatus extension): every key fails, nothing is deleted.
	post := func(kv ...string) rawResponse {
		return signedPost(t, d, d.AccessKey, d.SecretKey, "iam", timeZero, form(append([]string{"Version", "2010-05-08"}, kv...)...))
	}
	if r := post("Action", "SetUserStatus", "UserName", "bob", "Status", "Inactive"); r.Status != 200 || !strings.Contains(r.Body, "<SetUserStatusResponse") {
		t.Fatalf("SetUserStatus: %d %s", r.Status, r.Body)
	}
	_, err = bob.GetUser(ctx, &iam.GetUserInput{})
	wantCode(t, err, "InvalidClientTokenId")
	_, err = iamClient(d, *k2.AccessKeyId, *k2.SecretAccessKey).GetUser(ctx, &iam.GetUserInput{})
	wantCode(t, err, "InvalidClientTokenId")
	post("Action", "SetUserStatus", "UserName", "bob", "Status", "Active")
	must[*iam.GetUserOutput](t)(bob.GetUser(ctx, &iam.GetUserInput{}))

	// A user with keys cannot be deleted.
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("bob")})
	wantCode(t, err, "DeleteConflict")

	// Self-service delete of one's own key; the deleted key stops at once.
	must[*iam.DeleteAccessKeyOutput](t)(bob.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: k2.AccessKeyId}))
	_, err = iamClient(d, *k2.AccessKeyId, *k2.SecretAccessKey).GetUser(ctx, &iam.GetUserInput{})
	wantCode(t, err, "InvalidClientTokenId")
	_, err = c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("bob"), AccessKeyId: k2.AccessKeyId})
	wantCode(t, err, "NoSuchEntity")
	must[*iam.DeleteAccessKeyOutput](t)(c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("bob"), AccessKeyId: k1.AccessKeyId}))
	must[*iam.DeleteUserOutput](t)(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("bob")}))
	_, err = bob.GetUser(ctx, &iam.GetUserInput{})
	wantCode(t, err, "InvalidClientTokenId")

	// Secrets are nowhere in the state, in clear.
	var snap bytes.Buffer
	if err := d.Node.FSM().WriteSnapshot(&snap); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{*k1.SecretAccessKey, *k2.SecretAccessKey, d.SecretKey} {
		if bytes.Contains(snap.Bytes(), []byte(secret)) {
			t.Fatal("a secret access key is in the snapshot in clear")
		}
	}
	if !bytes.Contains(snap.Bytes(), []byte(d.AccessKey)) {
		t.Fatal("snapshot does not hold the root key at all: the scan proves nothing")
	}
}

func TestRootAccessKeys(t *testing.T) {
	d := apitest.StartDev(t)
	c := rootClient(d)
	// Without UserName the root manages its own keys (one exists).
	list := must[*iam.ListAccessKeysOutput](t)(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{}))
	if len(list.AccessKeyMetadata) != 1 || *list.AccessKeyMetadata[0].AccessKeyId != d.AccessKey {
		t.Fatalf("root keys: %+v", list.AccessKeyMetadata)
	}
	k := must[*iam.CreateAccessKeyOutput](t)(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})).AccessKey
	r := must[*iam.GetUserOutput](t)(iamClient(d, *k.AccessKeyId, *k.SecretAccessKey).GetUser(ctx, &iam.GetUserInput{}))
	if *r.User.Arn != "arn:aws:iam::"+d.AccountID+":root" {
		t.Fatalf("second root key is %s", *r.User.Arn)
	}
	_, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	wantCode(t, err, "LimitExceeded")
}

// TestSuppliedAccessKey covers SeaweedFS's CreateAccessKey extension.
func TestSuppliedAccessKey(t *testing.T) {
	d := apitest.StartDev(t)
	c := rootClient(d)
	must[*iam.CreateUserOutput](t)(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("s3user")}))
	post := func(kv ...string) rawResponse {
		return signedPost(t, d, d.AccessKey, d.SecretKey, "iam", timeZero, form(append([]string{"Version", "2010-05-08", "Action", "CreateAccessKey", "UserName", "s3user"}, kv...)...))
	}
	const id, secret = "MYCHOSENKEY0000001", "my secret+/with spaces"
	r := post("AccessKeyId", id, "SecretAccessKey", secret)
	if r.Status != 200 || !strings.Contains(r.Body, "<AccessKeyId>"+id+"</AccessKeyId>") || !strings.Contains(r.Body, "<SecretAccessKey>"+secret+"</SecretAccessKey>") {
		t.Fatalf("supplied key: %d %s", r.Status, r.Body)
	}
	must[*iam.GetUserOutput](t)(iamClient(d, id, secret).GetUser(ctx, &iam.GetUserInput{}))

	post("AccessKeyId", id).wantError(t, 400, "InvalidInput")
	post("SecretAccessKey", secret).wantError(t, 400, "InvalidInput")
	post("AccessKeyId", "SHORT", "SecretAccessKey", secret).wantError(t, 400, "InvalidInput")
	post("AccessKeyId", "NOT-ALNUM-000000001", "SecretAccessKey", secret).wantError(t, 400, "InvalidInput")
	post("AccessKeyId", "ASIA0000000000000001", "SecretAccessKey", secret).wantError(t, 400, "InvalidInput")
	post("AccessKeyId", "OTHERKEY0000000001", "SecretAccessKey", "short").wantError(t, 400, "InvalidInput")
	post("AccessKeyId", "OTHERKEY0000000001", "SecretAccessKey", "tab\there!").wantError(t, 400, "InvalidInput")
	// An ID in use anywhere, the root's included.
	post("AccessKeyId", d.AccessKey, "SecretAccessKey", secret).wantError(t, 409, "EntityAlreadyExists")
	post("AccessKeyId", id, "SecretAccessKey", secret).wantError(t, 409, "EntityAlreadyExists")
}

// A flush publishes every unpublished use, in Raft entries of at most
// server.KeyUsesPerEntry uses: one large entry held every node's FSM for
// seconds when many keys had been used.
func TestKeyUseFlushInBoundedEntries(t *testing.T) {
	defer func(n int) { server.KeyUsesPerEntry = n }(server.KeyUsesPerEntry)
	server.KeyUsesPerEntry = 2
	d := apitest.StartDev(t)
	c := rootClient(d)
	var keys []string
	for _, name := range []string{"u1", "u2", "u3", "u4"} {
		must[*iam.CreateUserOutput](t)(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))
		k := must[*iam.CreateAccessKeyOutput](t)(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})).AccessKey
		must[*iam.GetUserOutput](t)(iamClient(d, *k.AccessKeyId, *k.SecretAccessKey).GetUser(ctx, &iam.GetUserInput{}))
		keys = append(keys, *k.AccessKeyId)
	}
	keys = append(keys, d.AccessKey) // the root's, used by every call above
	before := d.Node.FSM().AppliedIndex()
	if err := d.Node.FlushKeyUses(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range keys {
		if u := d.Node.State().KeyLastUsed(id); u == nil || u.Service != "iam" {
			t.Fatalf("key %s: use not published: %+v", id, u)
		}
	}
	if entries := d.Node.FSM().AppliedIndex() - before; entries < 3 {
		t.Fatalf("5 uses published in %d entries, want at least 3 of at most 2 uses", entries)
	}
}
