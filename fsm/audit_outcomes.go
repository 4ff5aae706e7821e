package fsm

// Results that report a failure without an error (AuditOutcome).

// AuditFailure marks a login or MFA validation whose MFA check failed: the
// command applied (it keeps the attempt counters) but the login did not
// succeed.
func (o *LoginOutcome) AuditFailure() string { return o.MFAFailure }
