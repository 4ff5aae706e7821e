// Package deps pins the modules the project builds on until code imports them.
// It is deleted once every module here is imported by real code.
package deps

import (
	_ "github.com/anishathalye/porcupine"
	_ "github.com/aws/aws-sdk-go-v2/aws"
	_ "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	_ "github.com/aws/aws-sdk-go-v2/credentials"
	_ "github.com/aws/aws-sdk-go-v2/service/iam"
	_ "github.com/aws/aws-sdk-go-v2/service/sts"
	_ "github.com/hashicorp/go-hclog"
	_ "github.com/hashicorp/go-memdb"
	_ "github.com/hashicorp/go-secure-stdlib/parseutil"
	_ "github.com/hashicorp/go-uuid"
	_ "github.com/hashicorp/hcl/v2/hclsimple"
	_ "github.com/hashicorp/memberlist"
	_ "github.com/hashicorp/raft"
	_ "github.com/hashicorp/raft-boltdb/v2"
	_ "github.com/hashicorp/vault/api"
	_ "github.com/labstack/echo/v4"
	_ "github.com/pquerna/otp/totp"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "golang.org/x/crypto/argon2"
	_ "golang.org/x/crypto/bcrypt"
)
