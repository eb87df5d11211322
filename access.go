package truce

import "time"

// Role is what a token may do.
type Role string

const (
	// RoleAdmin manages tokens and sees everything.
	RoleAdmin Role = "admin"
	// RoleMonitor submits observations (patrols, sensors, feeds) and reads nothing back.
	RoleMonitor Role = "monitor"
	// RoleAnalyst reads everything the mission holds and reviews findings.
	RoleAnalyst Role = "analyst"
	// RoleLiaison is a party's liaison officer: sees the findings that concern its party, never
	// the mission's sources or patrol positions.
	RoleLiaison Role = "liaison"
	// RoleObserver sees what the public will: published (verified) findings only.
	RoleObserver Role = "observer"
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleMonitor, RoleAnalyst, RoleLiaison, RoleObserver}

// ValidRole reports whether r is a known role.
func ValidRole(r Role) bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Token is an API credential. Only a hash of its secret is stored; the secret is shown once,
// when the token is created.
type Token struct {
	ID      string     `json:"id"`
	Name    string     `json:"name,omitempty"`
	Role    Role       `json:"role"`
	Party   string     `json:"party,omitempty"` // for a liaison: the party it speaks for
	Created time.Time  `json:"created"`
	Revoked *time.Time `json:"revoked,omitempty"`
}

// Validate checks a token's role and party.
func (t *Token) Validate() error {
	switch {
	case !ValidRole(t.Role):
		return Errorf(EINVALID, "role %q is not one of admin, monitor, analyst, liaison, observer", t.Role)
	case t.Role == RoleLiaison && t.Party == "":
		return Errorf(EINVALID, "a liaison token needs the party it speaks for (--party)")
	case t.Role != RoleLiaison && t.Party != "":
		return Errorf(EINVALID, "only a liaison token has a party")
	}
	return nil
}

// AuditEntry records who did what: every request refused for want of credentials or rights,
// and every change to tokens.
type AuditEntry struct {
	Time    time.Time `json:"time"`
	TokenID string    `json:"token,omitempty"`
	Role    Role      `json:"role,omitempty"`
	Action  string    `json:"action"`  // e.g. "POST /api/v1/observations", "token.create"
	Outcome string    `json:"outcome"` // "allowed", "unauthorized", "forbidden", or an error code
	Detail  string    `json:"detail,omitempty"`
	Remote  string    `json:"remote,omitempty"`
}
