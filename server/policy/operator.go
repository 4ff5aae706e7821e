package policy

import "strings"

// family groups condition operators that compare values the same way.
type family uint8

const (
	famString     family = iota // StringEquals: exact, variables
	famStringFold               // StringEqualsIgnoreCase
	famStringLike               // StringLike: glob, variables
	famNumeric
	famDate
	famBool
	famBinary
	famIP
	famArn // ArnEquals and ArnLike behave alike in AWS: per-segment globs
	famNull
)

// cmpOp is the comparison of Numeric and Date operators.
type cmpOp uint8

const (
	cmpEq cmpOp = iota
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

// holds reports whether a comparison result c (-1, 0, 1) satisfies op.
func (op cmpOp) holds(c int) bool {
	switch op {
	case cmpLt:
		return c < 0
	case cmpLe:
		return c <= 0
	case cmpGt:
		return c > 0
	case cmpGe:
		return c >= 0
	}
	return c == 0
}

// setKind is the ForAnyValue:/ForAllValues: qualifier.
type setKind uint8

const (
	setNone setKind = iota
	setAny
	setAll
)

// operator is a parsed condition operator name such as
// "ForAllValues:StringLikeIfExists".
type operator struct {
	fam      family
	cmp      cmpOp
	negate   bool // the Not forms: true when no policy value matches
	set      setKind
	ifExists bool
}

var baseOperators = map[string]operator{
	"StringEquals":              {fam: famString},
	"StringNotEquals":           {fam: famString, negate: true},
	"StringEqualsIgnoreCase":    {fam: famStringFold},
	"StringNotEqualsIgnoreCase": {fam: famStringFold, negate: true},
	"StringLike":                {fam: famStringLike},
	"StringNotLike":             {fam: famStringLike, negate: true},
	"NumericEquals":             {fam: famNumeric},
	"NumericNotEquals":          {fam: famNumeric, negate: true},
	"NumericLessThan":           {fam: famNumeric, cmp: cmpLt},
	"NumericLessThanEquals":     {fam: famNumeric, cmp: cmpLe},
	"NumericGreaterThan":        {fam: famNumeric, cmp: cmpGt},
	"NumericGreaterThanEquals":  {fam: famNumeric, cmp: cmpGe},
	"DateEquals":                {fam: famDate},
	"DateNotEquals":             {fam: famDate, negate: true},
	"DateLessThan":              {fam: famDate, cmp: cmpLt},
	"DateLessThanEquals":        {fam: famDate, cmp: cmpLe},
	"DateGreaterThan":           {fam: famDate, cmp: cmpGt},
	"DateGreaterThanEquals":     {fam: famDate, cmp: cmpGe},
	"Bool":                      {fam: famBool},
	"BinaryEquals":              {fam: famBinary},
	"IpAddress":                 {fam: famIP},
	"NotIpAddress":              {fam: famIP, negate: true},
	"ArnEquals":                 {fam: famArn},
	"ArnLike":                   {fam: famArn},
	"ArnNotEquals":              {fam: famArn, negate: true},
	"ArnNotLike":                {fam: famArn, negate: true},
	"Null":                      {fam: famNull},
}

// parseOperator strips at most one set prefix and one IfExists suffix, as
// moto does, and looks the rest up. Names are case-sensitive.
func parseOperator(name string) (operator, bool) {
	set := setNone
	if rest, ok := strings.CutPrefix(name, "ForAnyValue:"); ok {
		name, set = rest, setAny
	} else if rest, ok := strings.CutPrefix(name, "ForAllValues:"); ok {
		name, set = rest, setAll
	}
	rest, ifExists := strings.CutSuffix(name, "IfExists")
	op, ok := baseOperators[rest]
	op.set, op.ifExists = set, ifExists
	return op, ok
}
