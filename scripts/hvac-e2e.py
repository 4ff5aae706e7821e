#!/usr/bin/env python3
"""End-to-end check of iamd's Vault dialect with the hvac client (Debian python3-hvac 0.11.2).

    IAMD_ADDR=http://127.0.0.1:8200 VAULT_TOKEN=root python3 scripts/hvac-e2e.py

Runs against a server you started (a dev node: root token in VAULT_TOKEN). It creates
a userpass mount at a fresh path, a user, a TOTP method and a login enforcement, and
removes the enforcement again. Prints each step; exits non-zero on the first failure.
api/vault's TestHvacClient runs it against a dev node of the test process.
"""
import os
import sys
import uuid

import hvac
from hvac import exceptions

ADDR = os.environ.get("IAMD_ADDR") or os.environ.get("VAULT_ADDR") or "http://127.0.0.1:8200"
ROOT_TOKEN = os.environ.get("IAMD_TOKEN") or os.environ.get("VAULT_TOKEN") or "root"


def step(msg):
    print("---", msg, flush=True)


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def expect(exc_type, fn, *args, **kwargs):
    """fn must raise exc_type (an hvac exception mapped from the HTTP status)."""
    try:
        got = fn(*args, **kwargs)
    except exc_type as e:
        return e
    except exceptions.VaultError as e:
        raise AssertionError("expected %s, got %s: %s" % (exc_type.__name__, type(e).__name__, e))
    raise AssertionError("expected %s, got success: %r" % (exc_type.__name__, got))


def client(token):
    # A timeout bounds every call: a hung server fails the script instead of blocking it.
    return hvac.Client(url=ADDR, token=token, timeout=10)


def data_of(resp):
    """hvac 0.11 returns the whole JSON body; Vault puts the payload under "data"."""
    return resp["data"] if isinstance(resp, dict) and "data" in resp else resp


def main():
    root = client(ROOT_TOKEN)
    suffix = uuid.uuid4().hex[:8]

    step("sys/health")
    health = root.sys.read_health_status(method="GET")
    check(isinstance(health, dict), "health answered %r" % (health,))
    check(health["initialized"] is True and health["sealed"] is False, "health %r" % health)

    step("token lookup-self (root)")
    me = root.auth.token.lookup_self()["data"]
    check(me["id"] == ROOT_TOKEN, "lookup-self id %r" % me.get("id"))
    check("root" in me["policies"], "root policies %r" % me["policies"])
    check(root.is_authenticated(), "root token not authenticated")

    mount = "up-" + suffix
    step("enable userpass at " + mount)
    root.sys.enable_auth_method("userpass", path=mount)
    methods = data_of(root.sys.list_auth_methods())
    check(mount + "/" in methods, "auth methods %r" % sorted(methods))
    check(methods[mount + "/"]["type"] == "userpass", "mount %r" % methods[mount + "/"])
    accessor = methods[mount + "/"]["accessor"]

    step("userpass user create, read, list")
    password = "hvac-" + uuid.uuid4().hex
    root.auth.userpass.create_or_update_user("alice", password=password, policies=["default"], mount_point=mount)
    user = root.auth.userpass.read_user("alice", mount_point=mount)["data"]
    check(user["policies"] == ["default"] or user.get("token_policies") == ["default"], "user %r" % user)
    check("password" not in user, "read_user shows the password")
    check("alice" in root.auth.userpass.list_user(mount_point=mount)["data"]["keys"], "alice not listed")

    step("userpass login")
    alice = client(None)
    login = alice.auth.userpass.login("alice", password, mount_point=mount)
    token = login["auth"]["client_token"]
    check(token and alice.token == token, "login did not set the token")
    check("default" in login["auth"]["policies"], "login policies %r" % login["auth"]["policies"])
    self_ = alice.auth.token.lookup_self()["data"]
    check(self_["path"] == "auth/%s/login/alice" % mount, "token path %r" % self_["path"])
    check(self_["meta"]["username"] == "alice", "token meta %r" % self_["meta"])
    entity_id = self_["entity_id"]
    check(entity_id, "login token has no entity")

    step("wrong password -> hvac InvalidRequest (400)")
    expect(exceptions.InvalidRequest, client(None).auth.userpass.login, "alice", "wrong", mount_point=mount)

    step("403 as hvac Forbidden: default policy cannot enable auth methods or read others' users")
    e = expect(exceptions.Forbidden, alice.sys.enable_auth_method, "userpass", path="nope-" + suffix)
    check("permission denied" in str(e), "403 message %r" % str(e))
    expect(exceptions.Forbidden, alice.auth.userpass.read_user, "alice", mount_point=mount)
    expect(exceptions.Forbidden, client("not-a-token").auth.token.lookup_self)

    step("404 as hvac InvalidPath")
    expect(exceptions.InvalidPath, root.auth.userpass.read_user, "nobody", mount_point=mount)
    expect(exceptions.InvalidPath, root.adapter.get, "/v1/identity/mfa/method/totp/" + str(uuid.uuid4()))
    check(root.read("identity/mfa/login-enforcement/none-" + suffix) is None, "read of a missing enforcement")

    step("TOTP method create and read")
    created = root.write("identity/mfa/method/totp", issuer="iamd-hvac", period=30, digits=6)
    method_id = created["data"]["method_id"]
    method = root.read("identity/mfa/method/totp/" + method_id)["data"]
    check(method["id"] == method_id and method["type"] == "totp", "method %r" % method)
    check(method["issuer"] == "iamd-hvac" and method["digits"] == 6 and method["period"] == 30, "method %r" % method)
    check(method_id in root.list("identity/mfa/method/totp")["data"]["keys"], "method not listed")

    name = "hvac-" + suffix
    path = "identity/mfa/login-enforcement/" + name
    step("login enforcement create, read, list, update, delete")
    root.write(path, mfa_method_ids=[method_id], auth_method_accessors=[accessor])
    enf = root.read(path)["data"]
    check(enf["name"] == name, "enforcement %r" % enf)
    check(enf["mfa_method_ids"] == [method_id], "enforcement methods %r" % enf)
    check(enf["auth_method_accessors"] == [accessor], "enforcement accessors %r" % enf)
    check(name in root.list("identity/mfa/login-enforcement")["data"]["keys"], "enforcement not listed")

    try:
        root.write(path, mfa_method_ids=[method_id], identity_entity_ids=[entity_id])
        enf = root.read(path)["data"]
        check(enf["identity_entity_ids"] == [entity_id], "after update %r" % enf)
        check(enf["auth_method_accessors"] == [accessor], "an update keeps the lists it does not carry: %r" % enf)

        # With the enforcement in force, a password login on the mount asks for MFA.
        req = client(None).auth.userpass.login("alice", password, mount_point=mount, use_token=False)
        check(req["auth"]["mfa_requirement"]["mfa_request_id"], "no MFA requirement: %r" % req["auth"])
    finally:
        root.delete(path)
    check(root.read(path) is None, "enforcement still readable after delete")
    listed = root.list("identity/mfa/login-enforcement")
    check(listed is None or name not in listed["data"]["keys"], "deleted enforcement still listed")
    login = client(None).auth.userpass.login("alice", password, mount_point=mount)
    check(login["auth"]["client_token"], "login after the enforcement is gone: %r" % login["auth"])

    step("revoke-self ends the token")
    alice.auth.token.revoke_self()
    expect(exceptions.Forbidden, alice.auth.token.lookup_self)

    print("ok: hvac %s against %s" % (getattr(hvac, "__version__", "0.11"), ADDR))


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print("FAIL:", e, file=sys.stderr)
        sys.exit(1)
